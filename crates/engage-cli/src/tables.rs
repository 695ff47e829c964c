//! Tables over directories of files: what `CREATE EXTERNAL TABLE` and a directory in FROM
//! read, beyond DataFusion's defaults.
//!
//! - Files in sub-directories belong to the table (`events/2026/11/01/part-0.parquet`), as
//!   DuckDB's `events/**` and Spark read them; DataFusion reads them only from Hive-style
//!   `key=value` directories unless `datafusion.execution.listing_table_ignore_subdirectory` is
//!   false, which the shell makes its default ([`configure`]).
//! - `PARTITIONED BY (day DATE, country VARCHAR)` without a column list types the partition
//!   columns and reads the files' own columns ([`TypedPartitions`]); DataFusion 55 takes the
//!   declared partition columns for the whole schema and reads no file column at all.
//! - A path in FROM keeps its files' statistics in the session's cache between statements
//!   ([`enable_url_tables`]), as a `CREATE EXTERNAL TABLE` does.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{
    DynamicFileCatalog, Session, TableProvider, TableProviderFactory, UrlTableFactory,
};
use datafusion::common::{DFSchema, DataFusionError, Result};
use datafusion::config::ConfigOptions;
use datafusion::datasource::dynamic_file::DynamicListTableFactory;
use datafusion::datasource::listing::{
    ListingTable, ListingTableConfig, ListingTableConfigExt, ListingTableUrl,
};
use datafusion::execution::SessionState;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::CreateExternalTable;
use datafusion::prelude::SessionContext;

/// The shell's defaults for tables over directories (a `--set` given after can change them).
pub fn configure(options: &mut ConfigOptions) {
    options.execution.listing_table_ignore_subdirectory = false;
}

/// Wraps every table factory of `state` (Parquet, CSV, JSON, …) in [`TypedPartitions`].
pub fn type_partition_columns(state: &mut SessionState) {
    for factory in state.table_factories_mut().values_mut() {
        *factory = Arc::new(TypedPartitions(Arc::clone(factory)));
    }
}

/// A table factory that, given only typed partition columns, infers the file columns first
/// and then declares them all, so the table has both.
#[derive(Debug)]
pub struct TypedPartitions(Arc<dyn TableProviderFactory>);

#[async_trait]
impl TableProviderFactory for TypedPartitions {
    async fn create(
        &self,
        state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        let declared = cmd.schema.fields();
        let is_partition = |name: &String| cmd.table_partition_cols.contains(name);
        if declared.is_empty() || !declared.iter().all(|f| is_partition(f.name())) {
            return self.0.create(state, cmd).await;
        }
        let untyped = CreateExternalTable {
            schema: Arc::new(DFSchema::empty()),
            ..cmd.clone()
        };
        let inferred = self.0.create(state, &untyped).await?.schema();
        let fields = inferred
            .fields()
            .iter()
            .filter(|f| !is_partition(f.name()))
            .chain(declared.iter())
            .cloned()
            .collect::<Vec<_>>();
        let typed = CreateExternalTable {
            schema: Arc::new(DFSchema::from_unqualified_fields(
                fields.into(),
                HashMap::new(),
            )?),
            ..cmd.clone()
        };
        self.0.create(state, &typed).await
    }
}

/// Why a directory (or a file) in FROM that holds files could not be read as a table: the
/// error DataFusion's URL tables drop, reporting the path as "not found".
pub async fn why_unreadable_as_table(
    state: &SessionState,
    url: ListingTableUrl,
) -> Option<DataFusionError> {
    let inferred = async {
        ListingTableConfig::new(url)
            .infer_options(state)
            .await?
            .infer_partitions_from_path(state)
            .await?
            .infer_schema(state)
            .await
    };
    inferred.await.err()
}

/// Paths and URLs usable as tables in FROM (DataFusion's `enable_url_table`), each table
/// keeping its files' statistics in the session's statistics cache.
///
/// DataFusion's URL tables have no statistics cache, so every statement read every file's
/// Parquet statistics again while planning. For a directory of many small files that is the
/// most of a query: 90 daily state files with three STRUCT states each took 14 ms to plan
/// (min and max of every STRUCT field of every file, merged), where the query itself took
/// 20 ms. A file's cached statistics are used only while its size and modification time are
/// unchanged, so a rewritten file is read again.
pub fn enable_url_tables(ctx: SessionContext) -> SessionContext {
    let factory = Arc::new(CachedStatisticsUrlTables(DynamicListTableFactory::default()));
    let catalogs = Arc::new(DynamicFileCatalog::new(
        Arc::clone(ctx.state().catalog_list()),
        Arc::clone(&factory) as Arc<dyn UrlTableFactory>,
    ));
    let session_id = ctx.session_id();
    let ctx: SessionContext = SessionStateBuilder::new_from_existing(ctx.state())
        .with_session_id(session_id)
        .with_catalog_list(catalogs)
        .build()
        .into();
    factory.0.session_store().with_state(ctx.state_weak_ref());
    ctx
}

/// DataFusion's URL tables, with the session's statistics cache.
#[derive(Debug)]
struct CachedStatisticsUrlTables(DynamicListTableFactory);

#[async_trait]
impl UrlTableFactory for CachedStatisticsUrlTables {
    async fn try_new(&self, url: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(table) = self.0.try_new(url).await? else {
            return Ok(None);
        };
        let session = self.0.session_store().get_session().upgrade();
        let cache = session.and_then(|session| {
            let session = session.read();
            let state = session.as_any().downcast_ref::<SessionState>()?;
            state.runtime_env().cache_manager.get_file_statistic_cache()
        });
        Ok(Some(match (table.downcast_ref::<ListingTable>(), cache) {
            (Some(listing), Some(cache)) => Arc::new(listing.clone().with_cache(Some(cache))),
            _ => table,
        }))
    }
}
