//! A client of the Remote Execution API's content-addressable storage, for
//! a worker's runner: [`Cas::stage`] writes an action's input root to disk,
//! and [`Cas::capture`] uploads its outputs and describes them as an
//! `ActionResult` does.
//!
//! Only SHA-256 digests are supported. Blobs up to [`BATCH_BYTES`] travel in
//! batches; larger ones through ByteStream.

mod capture;
mod stage;

pub use bazel_remote_apis::build::bazel::remote::execution::v2 as proto;
pub use capture::output_parents;

use bazel_remote_apis::google::bytestream::byte_stream_client::ByteStreamClient;
use bazel_remote_apis::google::bytestream::{ReadRequest, WriteRequest};
use proto::content_addressable_storage_client::ContentAddressableStorageClient;
use proto::Digest;
use sha2::{Digest as _, Sha256};
use std::path::PathBuf;
use tonic::transport::Channel;

/// The largest blob sent or fetched in a batch, and the largest batch.
pub const BATCH_BYTES: usize = 1 << 20;

/// What went wrong, naming the blob, path or call.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server could not be reached.
    #[error("cannot connect to the CAS at {url}")]
    Connect {
        url: String,
        #[source]
        source: tonic::transport::Error,
    },
    /// A call failed.
    #[error("{what}")]
    Call {
        what: String,
        #[source]
        source: tonic::Status,
    },
    /// A local file could not be read or written.
    #[error("{}: {what}", path.display())]
    Io {
        path: PathBuf,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The server sent something that does not hold together, or the
    /// request names something the protocol does not allow.
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub(crate) fn io_error(
    path: impl Into<PathBuf>,
    what: &'static str,
) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, what, source }
}

/// Turns a failed call's status into an error that names the call.
pub(crate) fn failed<F: Fn() -> String>(what: &F) -> impl Fn(tonic::Status) -> Error + '_ {
    move |source| Error::Call {
        what: what(),
        source,
    }
}

/// `hash/size`, as digests are written in messages and resource names.
pub fn display(digest: &Digest) -> String {
    format!("{}/{}", digest.hash, digest.size_bytes)
}

/// The SHA-256 digest of `data`.
pub fn digest_of(data: &[u8]) -> Digest {
    Digest {
        hash: hex(&Sha256::digest(data)),
        size_bytes: data.len() as i64,
    }
}

/// The digest of a message as stored in the CAS: of its encoding.
pub fn digest_of_message(message: &impl prost::Message) -> (Digest, Vec<u8>) {
    let bytes = message.encode_to_vec();
    (digest_of(&bytes), bytes)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

/// A connection to one CAS instance.
#[derive(Clone)]
pub struct Cas {
    cas: ContentAddressableStorageClient<Channel>,
    bytestream: ByteStreamClient<Channel>,
    instance: String,
}

const MAX_MESSAGE: usize = 64 << 20;

impl Cas {
    /// Connects to `url` (`grpc://host:port` or `http://host:port`).
    pub async fn connect(url: &str, instance: &str) -> Result<Self> {
        let endpoint = match url.strip_prefix("grpc://") {
            Some(rest) => format!("http://{rest}"),
            None => url.to_owned(),
        };
        let channel = Channel::from_shared(endpoint)
            .map_err(|_| Error::Invalid(format!("{url}: not a grpc:// or http:// address")))?
            .connect()
            .await
            .map_err(|source| Error::Connect {
                url: url.to_owned(),
                source,
            })?;
        Ok(Self {
            cas: ContentAddressableStorageClient::new(channel.clone())
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
            bytestream: ByteStreamClient::new(channel)
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
            instance: instance.to_owned(),
        })
    }

    fn resource(&self, tail: String) -> String {
        if self.instance.is_empty() {
            tail
        } else {
            format!("{}/{tail}", self.instance)
        }
    }

    /// One blob, checked against its digest.
    pub async fn read(&self, digest: &Digest) -> Result<Vec<u8>> {
        let data = if digest.size_bytes as usize <= BATCH_BYTES {
            let mut blobs = self.read_batch(std::slice::from_ref(digest)).await?;
            blobs.pop().map(|(_, data)| data).unwrap_or_default()
        } else {
            self.read_stream(digest).await?
        };
        Ok(data)
    }

    /// Small blobs in one call, each checked against its digest.
    pub(crate) async fn read_batch(&self, digests: &[Digest]) -> Result<Vec<(Digest, Vec<u8>)>> {
        let request = proto::BatchReadBlobsRequest {
            instance_name: self.instance.clone(),
            digests: digests.to_vec(),
            ..Default::default()
        };
        let response = self
            .cas
            .clone()
            .batch_read_blobs(request)
            .await
            .map_err(|source| Error::Call {
                what: format!("BatchReadBlobs of {} blobs", digests.len()),
                source,
            })?
            .into_inner();
        let mut out = Vec::with_capacity(response.responses.len());
        for r in response.responses {
            let digest = r.digest.unwrap_or_default();
            if let Some(status) = r.status.filter(|s| s.code != 0) {
                return Err(Error::Invalid(format!(
                    "blob {}: the CAS answered {}: {}",
                    display(&digest),
                    status.code,
                    status.message
                )));
            }
            check(&digest, &r.data)?;
            out.push((digest, r.data));
        }
        if out.len() != digests.len() {
            return Err(Error::Invalid(format!(
                "BatchReadBlobs: asked for {} blobs, got {}",
                digests.len(),
                out.len()
            )));
        }
        Ok(out)
    }

    async fn read_stream(&self, digest: &Digest) -> Result<Vec<u8>> {
        let request = ReadRequest {
            resource_name: self.resource(format!("blobs/{}", display(digest))),
            read_offset: 0,
            read_limit: 0,
        };
        let what = || format!("ByteStream.Read of blob {}", display(digest));
        let mut stream = self
            .bytestream
            .clone()
            .read(request)
            .await
            .map_err(failed(&what))?
            .into_inner();
        let mut data = Vec::with_capacity(digest.size_bytes as usize);
        while let Some(chunk) = stream.message().await.map_err(failed(&what))? {
            data.extend_from_slice(&chunk.data);
        }
        check(digest, &data)?;
        Ok(data)
    }

    /// The digests among `digests` that the CAS does not have.
    pub(crate) async fn find_missing(&self, digests: Vec<Digest>) -> Result<Vec<Digest>> {
        let count = digests.len();
        let request = proto::FindMissingBlobsRequest {
            instance_name: self.instance.clone(),
            blob_digests: digests,
            ..Default::default()
        };
        Ok(self
            .cas
            .clone()
            .find_missing_blobs(request)
            .await
            .map_err(|source| Error::Call {
                what: format!("FindMissingBlobs of {count} blobs"),
                source,
            })?
            .into_inner()
            .missing_blob_digests)
    }

    /// Uploads small blobs in one call.
    pub(crate) async fn write_batch(&self, blobs: Vec<(Digest, Vec<u8>)>) -> Result<()> {
        let count = blobs.len();
        let request = proto::BatchUpdateBlobsRequest {
            instance_name: self.instance.clone(),
            requests: blobs
                .into_iter()
                .map(
                    |(digest, data)| proto::batch_update_blobs_request::Request {
                        digest: Some(digest),
                        data,
                        compressor: 0,
                    },
                )
                .collect(),
            ..Default::default()
        };
        let response = self
            .cas
            .clone()
            .batch_update_blobs(request)
            .await
            .map_err(|source| Error::Call {
                what: format!("BatchUpdateBlobs of {count} blobs"),
                source,
            })?
            .into_inner();
        for r in response.responses {
            if let Some(status) = r.status.filter(|s| s.code != 0) {
                return Err(Error::Invalid(format!(
                    "blob {}: the CAS refused it: {}: {}",
                    display(&r.digest.unwrap_or_default()),
                    status.code,
                    status.message
                )));
            }
        }
        Ok(())
    }

    /// Uploads one large blob through ByteStream.
    pub(crate) async fn write_stream(&self, digest: &Digest, data: Vec<u8>) -> Result<()> {
        let name = self.resource(format!("uploads/{}/blobs/{}", upload_id(), display(digest)));
        let total = data.len();
        let mut requests = Vec::new();
        let mut offset = 0;
        while offset < total || requests.is_empty() {
            let end = (offset + BATCH_BYTES).min(total);
            requests.push(WriteRequest {
                resource_name: if offset == 0 {
                    name.clone()
                } else {
                    String::new()
                },
                write_offset: offset as i64,
                finish_write: end == total,
                data: data[offset..end].to_vec(),
            });
            offset = end;
        }
        self.bytestream
            .clone()
            .write(tokio_stream::iter(requests))
            .await
            .map_err(|source| Error::Call {
                what: format!("ByteStream.Write of blob {}", display(digest)),
                source,
            })?;
        Ok(())
    }

    /// Uploads every blob the CAS does not have yet; `load` gives a blob's
    /// bytes by its digest.
    pub(crate) async fn upload<F>(&self, digests: Vec<Digest>, mut load: F) -> Result<()>
    where
        F: FnMut(&Digest) -> Result<Vec<u8>>,
    {
        let missing = self.find_missing(digests).await?;
        let mut batch = Vec::new();
        let mut batch_bytes = 0;
        for digest in missing {
            let data = load(&digest)?;
            check(&digest, &data)?;
            if data.len() > BATCH_BYTES {
                self.write_stream(&digest, data).await?;
                continue;
            }
            if batch_bytes + data.len() > BATCH_BYTES && !batch.is_empty() {
                self.write_batch(std::mem::take(&mut batch)).await?;
                batch_bytes = 0;
            }
            batch_bytes += data.len();
            batch.push((digest, data));
        }
        if !batch.is_empty() {
            self.write_batch(batch).await?;
        }
        Ok(())
    }
}

/// Refuses bytes that are not what `digest` names.
fn check(digest: &Digest, data: &[u8]) -> Result<()> {
    let actual = digest_of(data);
    if actual != *digest {
        return Err(Error::Invalid(format!(
            "blob {}: the bytes received hash to {}",
            display(digest),
            display(&actual)
        )));
    }
    Ok(())
}

/// A fresh upload id (a random UUID, as ByteStream uploads want).
fn upload_id() -> String {
    let mut bytes = [0u8; 16];
    // A failed read leaves zeros, and a clash only makes the server
    // reject one upload.
    let _ = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let h = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_of_the_bytes() {
        let d = digest_of(b"");
        assert_eq!(
            d.hash,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.size_bytes, 0);
        assert!(check(&digest_of(b"a"), b"b").is_err());
    }

    #[test]
    fn upload_ids_are_uuids() {
        let id = upload_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
