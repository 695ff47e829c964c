//! Listings without hidden and bookkeeping files.
//!
//! Below the location a table reads, a file or directory whose name starts with `_` or `.` is
//! not data: Spark's `_SUCCESS` and `_temporary/`, Hadoop's `.part-0.parquet.crc`, Delta's
//! `_delta_log/`. Spark, Hive and Trino skip them; DataFusion lists them, and a directory written
//! by Spark then fails ("Found mixed partition values on disk") or reads a checkpoint as data.
//! [`VisibleFiles`] wraps a store so that its listings leave them out. A file named outright
//! (`FROM 'dir/_part.parquet'`) is not listed, so it is still read.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use datafusion::object_store::path::Path;
use datafusion::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use futures::stream::{BoxStream, StreamExt};

/// A store whose listings skip paths with a `_` or `.` name below the listed prefix.
#[derive(Debug)]
pub struct VisibleFiles(pub Arc<dyn ObjectStore>);

/// True when a name in `location` below `prefix` starts with `_` or `.`.
fn hidden_below(prefix: Option<&Path>, location: &Path) -> bool {
    let hidden = |part: object_store::path::PathPart<'_>| part.as_ref().starts_with(['_', '.']);
    match prefix {
        Some(prefix) => location
            .prefix_match(prefix)
            .is_some_and(|mut below| below.any(hidden)),
        None => location.parts().any(hidden),
    }
}

fn visible(
    prefix: Option<&Path>,
    listing: BoxStream<'static, object_store::Result<ObjectMeta>>,
) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
    let prefix = prefix.cloned();
    listing
        .filter(move |entry| {
            let keep = entry
                .as_ref()
                .map_or(true, |meta| !hidden_below(prefix.as_ref(), &meta.location));
            std::future::ready(keep)
        })
        .boxed()
}

impl fmt::Display for VisibleFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[async_trait::async_trait]
impl ObjectStore for VisibleFiles {
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        visible(prefix, self.0.list(prefix))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        visible(prefix, self.0.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        let mut listed = self.0.list_with_delimiter(prefix).await?;
        listed
            .common_prefixes
            .retain(|directory| !hidden_below(prefix, directory));
        listed
            .objects
            .retain(|meta| !hidden_below(prefix, &meta.location));
        Ok(listed)
    }

    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.0.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.0.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.0.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        self.0.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.0.delete_stream(locations)
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.0.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.0.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    #[tokio::test]
    async fn listings_skip_underscore_and_dot_names_below_the_prefix_only() {
        let store = InMemory::new();
        for path in [
            "_lake/events/day=1/part-0.parquet",
            "_lake/events/day=1/.part-0.parquet.crc",
            "_lake/events/_SUCCESS",
            "_lake/events/_temporary/0/part-9.parquet",
            "_lake/events/_delta_log/00000.checkpoint.parquet",
            "_lake/events/2026/11/part-1.parquet",
        ] {
            store.put(&Path::from(path), "x".into()).await.unwrap();
        }
        let store = VisibleFiles(Arc::new(store));
        let prefix = Path::from("_lake/events");
        let mut listed: Vec<String> = store
            .list(Some(&prefix))
            .map(|meta| meta.unwrap().location.to_string())
            .collect()
            .await;
        listed.sort();
        assert_eq!(
            listed,
            [
                "_lake/events/2026/11/part-1.parquet",
                "_lake/events/day=1/part-0.parquet"
            ]
        );
        let top = store.list_with_delimiter(Some(&prefix)).await.unwrap();
        let directories: Vec<String> = top.common_prefixes.iter().map(Path::to_string).collect();
        assert_eq!(directories.len(), 2, "{directories:?}");
        assert!(top.objects.is_empty(), "{:?}", top.objects);
        // Named outright, a hidden file is still read.
        let named = Path::from("_lake/events/_SUCCESS");
        assert!(store.head(&named).await.is_ok());
    }
}
