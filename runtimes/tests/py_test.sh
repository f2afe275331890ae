#!/usr/bin/env bash
# Runs a Python test script with the machine's python3.
exec python3 "$@"
