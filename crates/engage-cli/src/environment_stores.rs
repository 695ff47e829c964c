//! The object stores of `engage scheduler` and `engage executor`: one per bucket (or web
//! server) a plan reads, opened on first use with the credentials of the process's own
//! environment, read as the shell reads them ([`crate::object_stores::build_store`]).
//!
//! A cluster process cannot register stores ahead of time as the shell does, since it never
//! sees the statement, only plans naming `s3://…` files; and DataFusion asks its registry for a
//! store synchronously, while opening one may need the network (the AWS chain, the bucket's
//! region). So the registry hands out a [`LazyStore`] at once, and the store behind it is opened
//! by the first operation, which is async.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::sync::{Arc, PoisonError, RwLock};

use datafusion::common::{Result, exec_err};
use datafusion::config::TableOptions;
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::object_store::path::Path;
use datafusion::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use tokio::sync::OnceCell;
use url::Url;

use crate::object_stores::{StatementOptions, build_store};
use crate::visible_files::VisibleFiles;

/// Local files, and a [`LazyStore`] for each remote bucket or server, kept for the process's
/// life. Stores registered explicitly take precedence.
#[derive(Debug)]
pub struct EnvironmentStores {
    local: Arc<dyn ObjectStore>,
    remote: RwLock<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl EnvironmentStores {
    pub fn new() -> Self {
        Self {
            local: Arc::new(VisibleFiles(Arc::new(LocalFileSystem::new()))),
            remote: RwLock::default(),
        }
    }
}

/// `scheme://host[:port]`: what one store serves, as DataFusion's default registry keys them.
pub fn store_key(url: &Url) -> String {
    format!(
        "{}://{}",
        url.scheme(),
        &url[url::Position::BeforeHost..url::Position::AfterPort]
    )
}

const REMOTE_SCHEMES: &[&str] = &[
    "s3", "gs", "gcs", "az", "azure", "abfs", "abfss", "adl", "http", "https",
];

impl ObjectStoreRegistry for EnvironmentStores {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.remote
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(store_key(url), store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        match self
            .remote
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&store_key(url))
        {
            Some(store) => Ok(store),
            None => exec_err!("no object store is registered for {url}"),
        }
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        if url.scheme() == "file" {
            return Ok(Arc::clone(&self.local));
        }
        if !REMOTE_SCHEMES.contains(&url.scheme()) {
            return exec_err!(
                "unsupported location scheme '{}://' in {url}: expected s3://, gs://, az://, abfss://, http(s):// or a local path",
                url.scheme()
            );
        }
        let key = store_key(url);
        if let Some(store) = self
            .remote
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(Arc::clone(store));
        }
        let mut remote = self.remote.write().unwrap_or_else(PoisonError::into_inner);
        let store = remote.entry(key.clone()).or_insert_with(|| {
            Arc::new(LazyStore(Arc::new(LazyInner {
                // Parsed back from its own serialization: cannot fail.
                root: Url::parse(&key).expect("a store key is a URL"),
                store: OnceCell::new(),
            })))
        });
        Ok(Arc::clone(store))
    }
}

/// The store of one bucket or server, opened by its first operation. Opening again after a
/// failure (a credential not there yet) is allowed; after a success it is kept.
#[derive(Debug, Clone)]
pub struct LazyStore(Arc<LazyInner>);

#[derive(Debug)]
struct LazyInner {
    root: Url,
    store: OnceCell<Arc<dyn ObjectStore>>,
}

impl LazyInner {
    async fn store(&self) -> object_store::Result<&Arc<dyn ObjectStore>> {
        self.store
            .get_or_try_init(|| async {
                build_store(
                    TableOptions::default(),
                    &self.root,
                    &StatementOptions::default(),
                )
                .await
                .map_err(|e| object_store::Error::Generic {
                    store: "engage",
                    source: format!("cannot open {}: {}", self.root, e.strip_backtrace()).into(),
                })
            })
            .await
    }
}

impl LazyStore {
    /// The stream `open` gets from the opened store, or the opening error as its only item.
    fn after_opening<T: Send + 'static>(
        &self,
        open: impl FnOnce(&Arc<dyn ObjectStore>) -> BoxStream<'static, object_store::Result<T>>
        + Send
        + 'static,
    ) -> BoxStream<'static, object_store::Result<T>> {
        let inner = Arc::clone(&self.0);
        stream::once(async move { inner.store().await.map(open) })
            .try_flatten()
            .boxed()
    }
}

impl fmt::Display for LazyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.store.get() {
            Some(store) => store.fmt(f),
            None => write!(f, "{} (not opened yet)", self.0.root),
        }
    }
}

#[async_trait::async_trait]
impl ObjectStore for LazyStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.0
            .store()
            .await?
            .put_opts(location, payload, opts)
            .await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.0
            .store()
            .await?
            .put_multipart_opts(location, opts)
            .await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.0.store().await?.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        self.0.store().await?.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        self.after_opening(move |store| store.delete_stream(locations))
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let prefix = prefix.cloned();
        self.after_opening(move |store| store.list(prefix.as_ref()))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        let (prefix, offset) = (prefix.cloned(), offset.clone());
        self.after_opening(move |store| store.list_with_offset(prefix.as_ref(), &offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.0.store().await?.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.0.store().await?.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.0.store().await?.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;

    #[test]
    fn one_store_per_bucket_and_local_files_for_file_urls() {
        let stores = EnvironmentStores::new();
        let url = |s: &str| Url::parse(s).unwrap();
        let a = stores.get_store(&url("s3://bucket-a/x/y.parquet")).unwrap();
        let a_again = stores.get_store(&url("s3://bucket-a/other")).unwrap();
        let b = stores.get_store(&url("s3://bucket-b/x")).unwrap();
        assert!(Arc::ptr_eq(&a, &a_again));
        assert!(!Arc::ptr_eq(&a, &b));
        assert_eq!(a.to_string(), "s3://bucket-a (not opened yet)");
        let local = stores.get_store(&url("file:///tmp/x")).unwrap();
        assert!(local.to_string().contains("LocalFileSystem"), "{local}");
        let error = stores
            .get_store(&url("ftp://host/file"))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("unsupported location scheme 'ftp://'"),
            "{error}"
        );
    }

    #[test]
    fn a_registered_store_is_used_until_deregistered() {
        let stores = EnvironmentStores::new();
        let url = Url::parse("s3://bucket/").unwrap();
        let memory: Arc<dyn ObjectStore> = Arc::new(object_store::memory::InMemory::new());
        stores.register_store(&url, Arc::clone(&memory));
        assert!(Arc::ptr_eq(&stores.get_store(&url).unwrap(), &memory));
        stores.deregister_store(&url).unwrap();
        assert!(!Arc::ptr_eq(&stores.get_store(&url).unwrap(), &memory));
    }

    #[tokio::test]
    async fn a_store_that_cannot_open_names_its_bucket_in_every_error() {
        let stores = EnvironmentStores::new();
        // An Azure container without an account: the builder refuses it.
        let store = stores
            .get_store(&Url::parse("az://container/").unwrap())
            .unwrap();
        let error = store.list(None).next().await.unwrap().unwrap_err();
        assert!(
            error.to_string().contains("cannot open az://container"),
            "{error}"
        );
        let error = store.head(&Path::from("x")).await.unwrap_err();
        assert!(
            error.to_string().contains("cannot open az://container"),
            "{error}"
        );
    }
}
