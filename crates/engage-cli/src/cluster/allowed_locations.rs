//! `--allow-location`: the local directories and bucket prefixes a cluster process may read
//! and write. The scheduler lists a table's files and reads its schema while planning, and
//! checks where a `COPY … TO` or an `INSERT INTO` writes, so a statement reaching elsewhere
//! fails there, before any task runs; an executor refuses any read or write elsewhere before
//! it touches the location (a write outside writes nothing).
//!
//! The check is on the object store path, segment by segment: `s3://lake/events` allows
//! `s3://lake/events/day=1/x.parquet`, not `s3://lake/events_old/…`. Local paths are
//! absolute and have no `..` (object_store refuses such a segment); a symbolic link under an
//! allowed directory is followed, as the file system would.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use datafusion::catalog::default_table_source::source_as_provider;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{DataFusionError, Result};
use datafusion::config::ConfigOptions;
use datafusion::datasource::listing::{ListingTable, ListingTableUrl};
use datafusion::execution::object_store::ObjectStoreRegistry;
use datafusion::logical_expr::{LogicalPlan, WriteOp};
use datafusion::object_store::path::Path;
use datafusion::object_store::{
    self, CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult, RenameOptions,
};
use datafusion::optimizer::AnalyzerRule;
use futures::stream::{self, BoxStream, StreamExt};
use url::Url;

use crate::environment_stores::store_key;

/// One allowed location: the store it is in (`s3://lake`, `file://`) and the path below it.
#[derive(Debug, Clone)]
struct Location {
    store: String,
    path: Path,
}

/// The locations a process may read and write, as given.
#[derive(Debug)]
pub struct AllowedLocations {
    locations: Vec<Location>,
    /// The process's role, for errors.
    role: &'static str,
    /// The list as given, for errors.
    shown: String,
}

impl AllowedLocations {
    /// Parses `--allow-location` values: URLs (`s3://bucket/prefix`) or local directories,
    /// made absolute (and resolved through links when they exist). `None` when none is given.
    pub fn parse(role: &'static str, given: &[String]) -> Result<Option<Arc<Self>>, String> {
        if given.is_empty() {
            return Ok(None);
        }
        let locations = given
            .iter()
            .map(|location| {
                let url = if location.contains("://") {
                    Url::parse(location).map_err(|e| e.to_string())?
                } else {
                    let path = std::path::Path::new(location);
                    let path = std::fs::canonicalize(path)
                        .or_else(|_| std::path::absolute(path))
                        .map_err(|e| e.to_string())?;
                    Url::from_directory_path(&path)
                        .map_err(|()| format!("{} is not an absolute path", path.display()))?
                };
                let path = Path::from_url_path(url.path()).map_err(|e| e.to_string())?;
                Ok(Location {
                    store: store_key(&url),
                    path,
                })
            })
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| format!("{role}: --allow-location: {e}"))?;
        Ok(Some(Arc::new(Self {
            locations,
            role,
            shown: given.join(", "),
        })))
    }

    /// The registry `stores` whose every store checks the locations it is asked for.
    pub fn guard(
        self: &Arc<Self>,
        stores: Arc<dyn ObjectStoreRegistry>,
    ) -> Arc<dyn ObjectStoreRegistry> {
        Arc::new(GuardedRegistry {
            stores,
            allowed: Arc::clone(self),
        })
    }

    /// The rule that refuses, at planning, a statement writing outside the locations.
    pub fn writes_checked(self: &Arc<Self>) -> Arc<dyn AnalyzerRule + Send + Sync> {
        Arc::new(WritesInsideAllowedLocations(Arc::clone(self)))
    }

    /// True when `path` of the store `store` (`scheme://host`) is inside a location.
    fn allows(&self, store: &str, path: &Path) -> bool {
        self.locations
            .iter()
            .any(|location| location.store == store && path.prefix_matches(&location.path))
    }

    /// Refuses `path` of the store `store` outside the locations, as a store's error.
    fn check_path(&self, store: &str, path: &Path) -> object_store::Result<()> {
        if self.allows(store, path) {
            return Ok(());
        }
        let shown = format!("{store}/{path}");
        Err(object_store::Error::PermissionDenied {
            source: self.refusal(&shown).into(),
            path: shown,
        })
    }

    /// Refuses a write to `url` outside the locations.
    fn check_write(&self, url: &ListingTableUrl) -> Result<()> {
        if self.allows(&store_key(url.object_store().as_ref()), url.prefix()) {
            Ok(())
        } else {
            Err(DataFusionError::Plan(self.refusal(url.as_str())))
        }
    }

    fn refusal(&self, location: &str) -> String {
        format!(
            "{location} is outside the locations this {} may read and write ({}); its \
             operator allows more with --allow-location",
            self.role, self.shown
        )
    }
}

/// Checks the target of every `COPY … TO` and `INSERT INTO` a listing table in a plan.
#[derive(Debug)]
struct WritesInsideAllowedLocations(Arc<AllowedLocations>);

impl AnalyzerRule for WritesInsideAllowedLocations {
    fn analyze(&self, plan: LogicalPlan, _: &ConfigOptions) -> Result<LogicalPlan> {
        plan.apply(|node| {
            match node {
                LogicalPlan::Copy(copy) => {
                    self.0
                        .check_write(&ListingTableUrl::parse(&copy.output_url)?)?;
                }
                LogicalPlan::Dml(dml) if matches!(dml.op, WriteOp::Insert(_)) => {
                    let target = source_as_provider(&dml.target)?;
                    if let Some(listing) = target.downcast_ref::<ListingTable>() {
                        for url in listing.table_paths() {
                            self.0.check_write(url)?;
                        }
                    }
                }
                _ => {}
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        Ok(plan)
    }

    fn name(&self) -> &str {
        "writes_inside_allowed_locations"
    }
}

/// A registry whose stores are [`GuardedStore`]s.
#[derive(Debug)]
struct GuardedRegistry {
    stores: Arc<dyn ObjectStoreRegistry>,
    allowed: Arc<AllowedLocations>,
}

impl ObjectStoreRegistry for GuardedRegistry {
    fn register_store(
        &self,
        url: &Url,
        store: Arc<dyn ObjectStore>,
    ) -> Option<Arc<dyn ObjectStore>> {
        self.stores.register_store(url, store)
    }

    fn deregister_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        self.stores.deregister_store(url)
    }

    fn get_store(&self, url: &Url) -> Result<Arc<dyn ObjectStore>> {
        let store = store_key(url);
        if !self
            .allowed
            .locations
            .iter()
            .any(|location| location.store == store)
        {
            return Err(DataFusionError::Execution(
                self.allowed.refusal(url.as_str()),
            ));
        }
        Ok(Arc::new(GuardedStore {
            inner: self.stores.get_store(url)?,
            store,
            allowed: Arc::clone(&self.allowed),
        }))
    }
}

/// A store that refuses every operation on a path outside the allowed locations.
#[derive(Debug)]
struct GuardedStore {
    inner: Arc<dyn ObjectStore>,
    /// `scheme://host` of the store, as the locations name it.
    store: String,
    allowed: Arc<AllowedLocations>,
}

impl GuardedStore {
    fn check(&self, location: &Path) -> object_store::Result<()> {
        self.allowed.check_path(&self.store, location)
    }

    /// A listing of `prefix`, or its refusal as the only item.
    fn checked_listing(
        &self,
        prefix: Option<&Path>,
        list: impl FnOnce() -> BoxStream<'static, object_store::Result<ObjectMeta>>,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        match self.check(prefix.unwrap_or(&Path::default())) {
            Ok(()) => list(),
            Err(e) => stream::once(async { Err(e) }).boxed(),
        }
    }
}

impl fmt::Display for GuardedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (locations allowed: {})",
            self.inner, self.allowed.shown
        )
    }
}

#[async_trait::async_trait]
impl ObjectStore for GuardedStore {
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        self.check(location)?;
        self.inner.put_opts(location, payload, opts).await
    }

    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        self.check(location)?;
        self.inner.put_multipart_opts(location, opts).await
    }

    async fn get_opts(
        &self,
        location: &Path,
        options: GetOptions,
    ) -> object_store::Result<GetResult> {
        self.check(location)?;
        self.inner.get_opts(location, options).await
    }

    async fn get_ranges(
        &self,
        location: &Path,
        ranges: &[Range<u64>],
    ) -> object_store::Result<Vec<bytes::Bytes>> {
        self.check(location)?;
        self.inner.get_ranges(location, ranges).await
    }

    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        // Each path is checked as it comes; refused ones never reach the store.
        let (store, allowed) = (self.store.clone(), Arc::clone(&self.allowed));
        let checked = locations
            .map(move |location| {
                location
                    .and_then(|location| allowed.check_path(&store, &location).map(|()| location))
            })
            .boxed();
        self.inner.delete_stream(checked)
    }

    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.checked_listing(prefix, || self.inner.list(prefix))
    }

    fn list_with_offset(
        &self,
        prefix: Option<&Path>,
        offset: &Path,
    ) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        self.checked_listing(prefix, || self.inner.list_with_offset(prefix, offset))
    }

    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        self.check(prefix.unwrap_or(&Path::default()))?;
        self.inner.list_with_delimiter(prefix).await
    }

    async fn copy_opts(
        &self,
        from: &Path,
        to: &Path,
        options: CopyOptions,
    ) -> object_store::Result<()> {
        self.check(from)?;
        self.check(to)?;
        self.inner.copy_opts(from, to, options).await
    }

    async fn rename_opts(
        &self,
        from: &Path,
        to: &Path,
        options: RenameOptions,
    ) -> object_store::Result<()> {
        self.check(from)?;
        self.check(to)?;
        self.inner.rename_opts(from, to, options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::execution::object_store::DefaultObjectStoreRegistry;
    use object_store::ObjectStoreExt;
    use object_store::memory::InMemory;

    fn registry(allowed: &[&str]) -> Arc<dyn ObjectStoreRegistry> {
        let stores = Arc::new(DefaultObjectStoreRegistry::new());
        stores.register_store(&Url::parse("s3://lake").unwrap(), Arc::new(InMemory::new()));
        let allowed: Vec<String> = allowed.iter().map(ToString::to_string).collect();
        AllowedLocations::parse("executor", &allowed)
            .unwrap()
            .unwrap()
            .guard(stores)
    }

    #[tokio::test]
    async fn only_paths_below_an_allowed_prefix_are_read_or_written() {
        let stores = registry(&["s3://lake/events", "/srv/lake"]);
        let store = stores
            .get_store(&Url::parse("s3://lake/").unwrap())
            .unwrap();
        store
            .put(&Path::from("events/day=1/a.parquet"), "x".into())
            .await
            .unwrap();
        assert_eq!(
            store
                .get(&Path::from("events/day=1/a.parquet"))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
            "x"
        );
        // A sibling whose name starts the same is another location.
        let refused = store
            .put(&Path::from("events_old/a.parquet"), "x".into())
            .await
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains(
                "s3://lake/events_old/a.parquet is outside the locations this executor may \
                 read and write (s3://lake/events, /srv/lake)"
            ),
            "{refused}"
        );
        assert!(store.list(None).next().await.unwrap().is_err());
        assert!(
            store
                .list(Some(&Path::from("events")))
                .next()
                .await
                .unwrap()
                .is_ok()
        );
        assert!(
            store
                .copy(
                    &Path::from("events/day=1/a.parquet"),
                    &Path::from("out/a.parquet")
                )
                .await
                .is_err()
        );
        // A bucket with no allowed prefix is refused when its store is asked for.
        let error = stores
            .get_store(&Url::parse("s3://other/x.parquet").unwrap())
            .unwrap_err()
            .to_string();
        assert!(error.contains("s3://other/x.parquet is outside"), "{error}");
        assert!(
            stores
                .get_store(&Url::parse("file:///srv/lake/a.csv").unwrap())
                .is_ok()
        );
    }
}
