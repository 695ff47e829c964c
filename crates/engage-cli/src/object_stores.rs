//! Object stores for remote locations: `s3://`, `gs://`, `az://`/`abfss://` and `http(s)://`.
//!
//! Before a statement is planned, every remote location it names (a path in FROM, the location
//! of `CREATE EXTERNAL TABLE`, the target of `COPY ... TO`) gets a store registered for its
//! bucket, built with credentials read from the environment the way each cloud's own tools read
//! them: S3 through the AWS SDK's chain (environment, `~/.aws` profiles, SSO, web identity,
//! instance metadata) as datafusion-cli does; GCS from `GOOGLE_APPLICATION_CREDENTIALS` /
//! `GOOGLE_SERVICE_ACCOUNT*` or gcloud's application-default credentials; Azure from the
//! `AZURE_*` variables (account key, SAS token, service principal, managed identity, or the
//! `az` CLI with `AZURE_USE_AZURE_CLI=true`). Options in the statement (`'aws.region' ...`,
//! `'gcp.service_account_path' ...`, `'azure.account_name' ...`) override the environment.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::{DataFusionError, Result, exec_err, plan_datafusion_err};
use datafusion::config::TableOptions;
use datafusion::datasource::listing::ListingTableUrl;
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::Value;
use datafusion_cli::object_storage::{
    AwsOptions, GcpOptions, get_gcs_object_store_builder, get_s3_object_store_builder,
};
use futures::StreamExt;
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::client::ClientOptions;
use object_store::http::HttpBuilder;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::tables;
use crate::visible_files::VisibleFiles;

/// Lets `CREATE EXTERNAL TABLE` and `COPY` accept `aws.*` and `gcp.*` options.
pub fn register_option_namespaces(ctx: &SessionContext) {
    ctx.register_table_options_extension(AwsOptions::default());
    ctx.register_table_options_extension(GcpOptions::default());
}

/// The prefix of Azure options in a statement. They are taken out of the statement (DataFusion
/// has no `azure` namespace) and used to build the store.
const AZURE_PREFIX: &str = "azure.";

/// Registers a store for every remote location `statement` names, taking `azure.*` options out
/// of it (local paths need nothing), and a Delta table for every directory in FROM that is one
/// (refused `on_cluster`).
#[cfg_attr(not(feature = "delta"), allow(unused_variables))]
pub async fn prepare(
    ctx: &SessionContext,
    statement: &mut Statement,
    on_cluster: bool,
) -> Result<()> {
    let (locations, options) = match statement {
        Statement::CreateExternalTable(create) => {
            (create.locations.clone(), take_options(&mut create.options))
        }
        Statement::CopyTo(copy) => (vec![copy.target.clone()], take_options(&mut copy.options)),
        _ => (vec![], StatementOptions::default()),
    };
    for location in &locations {
        if is_remote(location) {
            register(ctx, location, &options, true).await?;
        }
    }
    // Paths in FROM: only what is not registered yet (a table name is never a URL).
    let names = table_names(ctx, statement)?;
    for name in &names {
        if is_remote(name) {
            register(ctx, name, &StatementOptions::default(), false).await?;
        }
    }
    #[cfg(feature = "delta")]
    crate::delta::register_in_from(ctx, &names, on_cluster).await?;
    Ok(())
}

/// The names of the tables a statement reads, as written (paths and URLs included).
pub fn table_names(ctx: &SessionContext, statement: &Statement) -> Result<Vec<String>> {
    let normalize = ctx
        .state()
        .config()
        .options()
        .sql_parser
        .enable_ident_normalization;
    let (tables, _) = resolve_table_references(statement, normalize)?;
    Ok(tables.iter().map(|t| t.table().to_string()).collect())
}

fn is_remote(location: &str) -> bool {
    location
        .split_once("://")
        .is_some_and(|(scheme, _)| scheme != "file")
}

/// A statement's options: the ones DataFusion knows stay in the statement (and are read back
/// here), the Azure ones are removed from it.
#[derive(Default)]
pub struct StatementOptions {
    all: HashMap<String, String>,
    azure: Vec<(String, String)>,
}

fn take_options(options: &mut Vec<(String, Value)>) -> StatementOptions {
    let mut taken = StatementOptions::default();
    options.retain(|(key, value)| {
        let text = option_text(value);
        if let Some(azure_key) = key.to_ascii_lowercase().strip_prefix(AZURE_PREFIX) {
            taken.azure.push((azure_key.to_string(), text));
            false
        } else {
            taken.all.insert(key.clone(), text);
            true
        }
    });
    taken
}

fn option_text(value: &Value) -> String {
    match value {
        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn register(
    ctx: &SessionContext,
    location: &str,
    options: &StatementOptions,
    replace: bool,
) -> Result<()> {
    let table_url = ListingTableUrl::parse(location)?;
    let url = table_url.as_ref();
    let runtime = ctx.runtime_env();
    if !replace && runtime.object_store(&table_url).is_ok() {
        return Ok(());
    }
    let store = build_store(ctx.state().default_table_options(), url, options)
        .await
        .map_err(|e| plan_datafusion_err!("cannot open {location}: {e}"))?;
    ctx.register_object_store(url, store);
    Ok(())
}

/// The store for the bucket (or web server) of `url`: the credentials of the environment,
/// overridden by the statement's `options` and by the `aws.*` / `gcp.*` options already in
/// `table_options` (the session's defaults). Its listings leave hidden files out
/// ([`VisibleFiles`]), in the shell and in the cluster's processes alike.
pub async fn build_store(
    mut table_options: TableOptions,
    url: &url::Url,
    options: &StatementOptions,
) -> Result<Arc<dyn ObjectStore>> {
    // The statement's `aws.*` and `gcp.*` options land in datafusion-cli's option extensions.
    let cloud_options: HashMap<String, String> = options
        .all
        .iter()
        .filter(|(key, _)| {
            let key = key.to_ascii_lowercase();
            key.starts_with("aws.") || key.starts_with("gcp.")
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    table_options.alter_with_string_hash_map(&cloud_options)?;
    let store: Arc<dyn ObjectStore> = match url.scheme() {
        "s3" => {
            let aws = table_options
                .extensions
                .get::<AwsOptions>()
                .cloned()
                .unwrap_or_default();
            Arc::new(
                get_s3_object_store_builder(url, &aws, false)
                    .await?
                    .build()?,
            )
        }
        "gs" | "gcs" => {
            let gcp = table_options
                .extensions
                .get::<GcpOptions>()
                .cloned()
                .unwrap_or_default();
            Arc::new(get_gcs_object_store_builder(url, &gcp)?.build()?)
        }
        "az" | "azure" | "abfs" | "abfss" | "adl" => {
            let mut builder = MicrosoftAzureBuilder::from_env().with_url(url.as_str());
            for (key, value) in &options.azure {
                let config_key: AzureConfigKey = key.parse().map_err(|_| {
                    plan_datafusion_err!(
                        "unknown option 'azure.{key}': expected an Azure storage option such as azure.account_name, azure.access_key, azure.sas_token, azure.client_id"
                    )
                })?;
                builder = builder.with_config(config_key, value);
            }
            Arc::new(builder.build()?)
        }
        "http" | "https" => Arc::new(
            HttpBuilder::new()
                .with_client_options(ClientOptions::new().with_allow_http(true))
                .with_url(url.origin().ascii_serialization())
                .build()?,
        ),
        other => {
            return exec_err!(
                "unsupported location scheme '{other}://': expected s3://, gs://, az://, abfss://, http(s):// or a local path"
            );
        }
    };
    Ok(Arc::new(VisibleFiles(store)))
}

/// When planning failed with "table ... not found" for a path or URL in FROM, the store's own
/// error for that location (missing file or bucket, refused credentials, ...).
pub async fn why_unreadable(
    ctx: &SessionContext,
    error: &DataFusionError,
    locations: &[String],
) -> Option<DataFusionError> {
    let DataFusionError::Plan(message) = error.find_root() else {
        return None;
    };
    if !message.contains("not found") {
        return None;
    }
    for location in locations.iter().filter(|l| message.contains(l.as_str())) {
        let url = ListingTableUrl::parse(location).ok()?;
        let store = match ctx.runtime_env().object_store(&url) {
            Ok(store) => store,
            Err(e) => return Some(e),
        };
        let prefix = url.prefix();
        let probe = if url.is_collection() || location.contains('*') {
            match store.list(Some(prefix)).next().await.transpose() {
                Ok(None) => Ok(Some(DataFusionError::Plan(format!(
                    "no files found at {location}"
                )))),
                // Files are there: the reason is in reading them as one table.
                Ok(Some(_)) => Ok(tables::why_unreadable_as_table(&ctx.state(), url).await),
                Err(e) => Err(e),
            }
        } else {
            match store.head(prefix).await {
                // A HEAD answer has no body: list the bucket to tell a missing bucket (its
                // error says so) from a missing object.
                Err(object_store::Error::NotFound { .. })
                    if matches!(
                        url.scheme(),
                        "s3" | "gs" | "gcs" | "az" | "azure" | "abfs" | "abfss"
                    ) =>
                {
                    match store.list(None).next().await.transpose() {
                        Err(bucket_error) => Err(bucket_error),
                        Ok(_) => Ok(Some(DataFusionError::Plan(format!(
                            "{location} does not exist"
                        )))),
                    }
                }
                other => other.map(|_| None),
            }
        };
        match probe {
            Err(e) => return Some(DataFusionError::ObjectStore(Box::new(e))),
            Ok(Some(e)) => return Some(e),
            Ok(None) => {}
        }
    }
    None
}
