//! Delta Lake tables, read with the deltalake crate (built on this DataFusion):
//!
//! ```sql
//! CREATE EXTERNAL TABLE events STORED AS DELTATABLE LOCATION 's3://lake/events/'
//!   [OPTIONS ('version' '12') | OPTIONS ('timestamp' '2026-11-01T00:00:00Z')];
//! ```
//!
//! The table is its log's snapshot: the current one, or the one of a version or a point in time
//! (time travel). Partition columns and file statistics prune what is read. The files are read
//! through the session's own store for the location, so credentials work as for Parquet.
//!
//! A directory in FROM that holds a `_delta_log/` is read the same way ([`register_in_from`]): read
//! as plain Parquet, it would also count the rows of files the log has removed.

use std::collections::HashMap;
use std::sync::{Arc, Once};

use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider, TableProviderFactory};
use datafusion::common::{DataFusionError, Result, TableReference, plan_datafusion_err, plan_err};
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::logical_expr::CreateExternalTable;
use datafusion::object_store::path::Path;
use datafusion::object_store::{ObjectStore, ObjectStoreExt};
use datafusion::prelude::SessionContext;
use deltalake_core::logstore::{
    LogStore, LogStoreFactory, ObjectStoreFactory, ObjectStoreRef, StorageConfig, default_logstore,
    logstore_factories, object_store_factories,
};
use deltalake_core::{DeltaResult, DeltaTable, DeltaTableBuilder, DeltaTableError};
use futures::StreamExt;

/// The `STORED AS` name of Delta tables.
pub const FORMAT: &str = "DELTATABLE";

/// The snapshot a statement asks for.
#[derive(Debug, Clone, PartialEq)]
enum Snapshot {
    Current,
    Version(u64),
    /// An RFC 3339 time: the latest version committed at or before it.
    AsOf(String),
}

impl Snapshot {
    /// From the table's options (`version` or `timestamp`, optionally written `delta.version`;
    /// DataFusion may hand them over as `format.version`). The stores' `aws.*` and `gcp.*`
    /// options are the store's (see [`crate::object_stores`]).
    fn from_options(location: &str, options: &HashMap<String, String>) -> Result<Self> {
        let mut snapshot = Self::Current;
        let for_the_store = |key: &str| key.starts_with("aws.") || key.starts_with("gcp.");
        for (key, value) in options.iter().filter(|(key, _)| !for_the_store(key)) {
            let name = key
                .trim_start_matches("format.")
                .trim_start_matches("delta.");
            let shown = key.trim_start_matches("format.");
            snapshot = match (name, &snapshot) {
                ("version", Self::Current) => Self::Version(value.parse().map_err(|_| {
                    plan_datafusion_err!(
                        "Delta table {location}: version '{value}' is not valid: expected a whole number of at least 0"
                    )
                })?),
                ("timestamp", Self::Current) => Self::AsOf(value.clone()),
                ("version" | "timestamp", _) => {
                    return plan_err!(
                        "Delta table {location}: give either 'version' or 'timestamp', not both"
                    );
                }
                _ => {
                    return plan_err!(
                        "Delta table {location}: unknown option '{shown}': expected 'version' or 'timestamp'"
                    );
                }
            };
        }
        Ok(snapshot)
    }
}

/// The remote schemes: deltalake knows only local files unless told of others. Their stores
/// are always the session's, handed to the table builder; what deltalake needs is a log store
/// (the default one: reading needs no commit coordination) and to know the scheme. (Not
/// http(s): a web server cannot list a table's log.)
const REMOTE_SCHEMES: &[&str] = &[
    "s3", "s3a", "gs", "gcs", "az", "azure", "abfs", "abfss", "adl",
];

#[derive(Debug)]
struct SessionStores;

impl ObjectStoreFactory for SessionStores {
    fn parse_url_opts(
        &self,
        url: &url::Url,
        _config: &StorageConfig,
    ) -> DeltaResult<(ObjectStoreRef, Path)> {
        // Not reached: every table is built with the session's store.
        Err(DeltaTableError::InvalidTableLocation(format!(
            "{url}: engage opens Delta tables with the session's own object store"
        )))
    }
}

impl LogStoreFactory for SessionStores {
    fn with_options(
        &self,
        prefixed_store: ObjectStoreRef,
        root_store: ObjectStoreRef,
        location: &url::Url,
        options: &StorageConfig,
    ) -> DeltaResult<Arc<dyn LogStore>> {
        Ok(default_logstore(
            prefixed_store,
            root_store,
            location,
            options,
        ))
    }
}

/// Tells deltalake of the remote schemes, once.
fn register_remote_schemes() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        for scheme in REMOTE_SCHEMES {
            let key = url::Url::parse(&format!("{scheme}://")).expect("a scheme URL");
            object_store_factories().insert(key.clone(), Arc::new(SessionStores));
            logstore_factories().insert(key, Arc::new(SessionStores));
        }
    });
}

/// Opens the Delta table at `location` as of `snapshot`, reading through `store`.
async fn open(
    location: &str,
    store: Arc<dyn ObjectStore>,
    snapshot: &Snapshot,
) -> Result<Arc<dyn TableProvider>> {
    register_remote_schemes();
    let url = ListingTableUrl::parse(location)?;
    let mut builder =
        builder_for(&url, Arc::clone(&store)).map_err(|e| describe_error(location, e))?;
    builder = match snapshot {
        Snapshot::Current => builder,
        Snapshot::Version(version) => builder.with_version(*version),
        Snapshot::AsOf(time) => builder.with_datestring(time).map_err(|e| {
            plan_datafusion_err!(
                "Delta table {location}: timestamp '{time}' is not valid: expected an RFC 3339 time such as 2026-11-01T00:00:00Z ({e})"
            )
        })?,
    };
    let table = match builder.load().await {
        Ok(table) => table,
        Err(error) => {
            return Err(missing_version(location, store, &url, snapshot, error).await);
        }
    };
    if let Snapshot::AsOf(time) = snapshot {
        check_committed_by(location, store.as_ref(), &url, &table, time).await?;
    }
    table.table_provider().await.map_err(|e| {
        plan_datafusion_err!(
            "cannot read the Delta table at {location}: {}",
            e.strip_backtrace()
        )
    })
}

/// A builder for the table at `url`, reading through `store`.
fn builder_for(
    url: &ListingTableUrl,
    store: Arc<dyn ObjectStore>,
) -> DeltaResult<DeltaTableBuilder> {
    let table_url: &url::Url = url.as_ref();
    Ok(DeltaTableBuilder::from_url(table_url.clone())?
        .with_storage_backend(store, table_url.clone()))
}

/// The table's log directory.
fn delta_log(url: &ListingTableUrl) -> Path {
    url.prefix().clone().join("_delta_log")
}

/// The error for a failed load: for a version past the latest, which versions there are.
async fn missing_version(
    location: &str,
    store: Arc<dyn ObjectStore>,
    url: &ListingTableUrl,
    snapshot: &Snapshot,
    error: DeltaTableError,
) -> DataFusionError {
    if let Snapshot::Version(asked) = snapshot
        && let Ok(builder) = builder_for(url, store)
        && let Ok(current) = builder.load().await
        && let Some(latest) = current.version()
        && *asked > latest
    {
        return plan_datafusion_err!(
            "Delta table {location} has no version {asked}: the latest is {latest}"
        );
    }
    describe_error(location, error)
}

/// Fails when `time` is before the commit of the version loaded for it: the table has no
/// version at or before that time (deltalake would read the first one). A commit's time is
/// its log file's, as deltalake resolves a timestamp.
async fn check_committed_by(
    location: &str,
    store: &dyn ObjectStore,
    url: &ListingTableUrl,
    table: &DeltaTable,
    time: &str,
) -> Result<()> {
    let (Ok(asked), Some(version)) = (chrono::DateTime::parse_from_rfc3339(time), table.version())
    else {
        return Ok(());
    };
    let commit = delta_log(url).join(format!("{version:020}.json"));
    let committed = store
        .head(&commit)
        .await
        .ok()
        .map(|meta| meta.last_modified);
    match committed {
        Some(committed) if committed > asked => plan_err!(
            "Delta table {location} has no version at or before {time}: version {version}, its first, was committed at {}",
            committed.to_rfc3339()
        ),
        _ => Ok(()),
    }
}

/// A Delta error for a person: what is wrong with which table.
fn describe_error(location: &str, error: DeltaTableError) -> DataFusionError {
    match error {
        DeltaTableError::NotATable(_) => plan_datafusion_err!(
            "{location} is not a Delta table: it has no _delta_log/ (for plain Parquet files, use STORED AS PARQUET)"
        ),
        other => plan_datafusion_err!("cannot read the Delta table at {location}: {other}"),
    }
}

/// The factory behind `STORED AS DELTATABLE`.
#[derive(Debug)]
pub struct DeltaTableFactory {
    /// The session is a cluster's client, whose plans Delta scans cannot join yet.
    pub on_cluster: bool,
}

/// Delta tables are not read on a cluster: its processes cannot decode a Delta scan yet.
fn refuse_on_cluster(location: &str) -> Result<()> {
    plan_err!(
        "{location} is a Delta table, which engage reads without --cluster only (the cluster cannot run a Delta scan yet)"
    )
}

#[async_trait]
impl TableProviderFactory for DeltaTableFactory {
    async fn create(
        &self,
        state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let [location] = cmd.locations.as_slice() else {
            return plan_err!(
                "a Delta table has one location, got {}: {}",
                cmd.locations.len(),
                cmd.locations.join(", ")
            );
        };
        let location = location.as_str();
        if self.on_cluster {
            refuse_on_cluster(location)?;
        }
        if !cmd.schema.fields().is_empty() || !cmd.table_partition_cols.is_empty() {
            return plan_err!(
                "Delta table {location}: its columns and partitions come from its log: leave out the column list and PARTITIONED BY"
            );
        }
        let snapshot = Snapshot::from_options(location, &cmd.options)?;
        let url = ListingTableUrl::parse(location)?;
        let store = state.runtime_env().object_store(&url)?;
        open(location, store, &snapshot).await
    }
}

/// True when `location` is a directory holding a Delta log.
async fn is_delta_table(store: &dyn ObjectStore, url: &ListingTableUrl) -> bool {
    matches!(store.list(Some(&delta_log(url))).next().await, Some(Ok(_)))
}

/// Registers each directory of `locations` (paths in FROM) that is a Delta table as a table of
/// that name, so the statement reads the table's current snapshot rather than its files (on a
/// cluster, refuses it: its files include those the log removed).
pub async fn register_in_from(
    ctx: &SessionContext,
    locations: &[String],
    on_cluster: bool,
) -> Result<()> {
    // Paths only (a table's name has no `/`), read again by every statement: a new commit shows.
    for location in locations.iter().filter(|name| name.contains('/')) {
        let Ok(url) = ListingTableUrl::parse(location) else {
            continue;
        };
        let Ok(store) = ctx.runtime_env().object_store(&url) else {
            continue;
        };
        if is_delta_table(store.as_ref(), &url).await {
            if on_cluster {
                refuse_on_cluster(location)?;
            }
            let table = open(location, store, &Snapshot::Current).await?;
            let name = TableReference::bare(location.as_str());
            ctx.deregister_table(name.clone())?;
            ctx.register_table(name, table)?;
        }
    }
    Ok(())
}
