//! `datafusion_engagement._internal`: hands the pack's functions to Python DataFusion.
//!
//! Each function crosses into the `datafusion` wheel as a DataFusion FFI struct in a PyCapsule
//! (`__datafusion_aggregate_udf__`, `__datafusion_scalar_udf__`, `__datafusion_window_udf__`),
//! the protocol the wheel's `AggregateUDF`, `ScalarUDF` and `WindowUDF` accept. The wheel then calls back into this library for every
//! accumulator, grouped ones included, so the work runs in the pack's own kernels. The Python
//! side (`python/datafusion_engagement`) checks versions and wraps these objects.

mod grouped_batches;

use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, Documentation, ScalarUDF, WindowUDF};
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udwf::FFI_WindowUDF;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

// Memory the pack allocates is freed here too: arrays crossing the FFI carry their own release
// callbacks, so each side frees with the allocator that allocated.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// One aggregate function of the pack, exportable to Python DataFusion.
#[pyclass(frozen, module = "datafusion_engagement._internal")]
#[derive(Debug)]
struct AggregateFunction {
    udaf: Arc<AggregateUDF>,
}

#[pymethods]
impl AggregateFunction {
    /// The function's SQL name.
    #[getter]
    fn name(&self) -> &str {
        self.udaf.name()
    }

    /// The function's documentation as a Python docstring.
    #[getter]
    fn docstring(&self) -> String {
        docstring(self.udaf.name(), self.udaf.documentation())
    }

    /// The FFI struct the `datafusion` wheel turns into its `AggregateUDF`.
    fn __datafusion_aggregate_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let mut exported = FFI_AggregateUDF::from(Arc::clone(&self.udaf));
        grouped_batches::install(&mut exported);
        // The wheel checks the capsule name before it reads the struct.
        PyCapsule::new_with_value(py, exported, c"datafusion_aggregate_udf")
    }

    fn __repr__(&self) -> String {
        format!("AggregateFunction({})", self.udaf.name())
    }
}

/// One scalar function of the pack, exportable to Python DataFusion.
#[pyclass(frozen, module = "datafusion_engagement._internal")]
#[derive(Debug)]
struct ScalarFunction {
    udf: Arc<ScalarUDF>,
}

#[pymethods]
impl ScalarFunction {
    /// The function's SQL name.
    #[getter]
    fn name(&self) -> &str {
        self.udf.name()
    }

    /// The function's documentation as a Python docstring.
    #[getter]
    fn docstring(&self) -> String {
        docstring(self.udf.name(), self.udf.documentation())
    }

    /// The FFI struct the `datafusion` wheel turns into its `ScalarUDF`.
    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let exported = FFI_ScalarUDF::from(Arc::clone(&self.udf));
        PyCapsule::new_with_value(py, exported, c"datafusion_scalar_udf")
    }

    fn __repr__(&self) -> String {
        format!("ScalarFunction({})", self.udf.name())
    }
}

/// One window function of the pack, exportable to Python DataFusion.
#[pyclass(frozen, module = "datafusion_engagement._internal")]
#[derive(Debug)]
struct WindowFunction {
    udwf: Arc<WindowUDF>,
}

#[pymethods]
impl WindowFunction {
    /// The function's SQL name.
    #[getter]
    fn name(&self) -> &str {
        self.udwf.name()
    }

    /// The function's documentation as a Python docstring.
    #[getter]
    fn docstring(&self) -> String {
        docstring(self.udwf.name(), self.udwf.documentation())
    }

    /// The FFI struct the `datafusion` wheel turns into its `WindowUDF`.
    fn __datafusion_window_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let exported = FFI_WindowUDF::from(Arc::clone(&self.udwf));
        PyCapsule::new_with_value(py, exported, c"datafusion_window_udf")
    }

    fn __repr__(&self) -> String {
        format!("WindowFunction({})", self.udwf.name())
    }
}

/// A docstring from a function's `Documentation`: what it computes, the SQL call, its
/// arguments (in the order the Python call takes them) and an example.
fn docstring(name: &str, documentation: Option<&Documentation>) -> String {
    let Some(doc) = documentation else {
        return format!("The `{name}` function.");
    };
    let mut text = format!(
        "{}\n\nSQL: {}\n",
        doc.description.trim(),
        doc.syntax_example
    );
    if let Some(arguments) = &doc.arguments {
        text.push_str("\nArgs:\n");
        for (argument, description) in arguments {
            let description = description.split_whitespace().collect::<Vec<_>>().join(" ");
            text.push_str(&format!("    {argument}: {description}\n"));
        }
    }
    if let Some(example) = &doc.sql_example {
        text.push_str("\nExample:\n");
        // The Markdown fence (```sql) is for the SQL docs; a docstring indents instead.
        for line in example
            .trim()
            .lines()
            .filter(|line| !line.starts_with("```"))
        {
            match line.trim_end() {
                "" => text.push('\n'),
                line => text.push_str(&format!("    {line}\n")),
            }
        }
    }
    text
}

/// Every aggregate function of the pack, in the order `register_all` registers them.
#[pyfunction]
fn aggregate_functions() -> Vec<AggregateFunction> {
    datafusion_engagement::all_aggregate_functions()
        .into_iter()
        .map(|udaf| AggregateFunction { udaf })
        .collect()
}

/// The stored-state functions of every aggregate: `f_state`, `f_merge`, `f_union`.
#[pyfunction]
fn state_functions() -> Vec<AggregateFunction> {
    datafusion_engagement::all_state_functions()
        .into_iter()
        .map(|udaf| AggregateFunction { udaf })
        .collect()
}

/// Every scalar function of the pack.
#[pyfunction]
fn scalar_functions() -> Vec<ScalarFunction> {
    datafusion_engagement::all_scalar_functions()
        .into_iter()
        .map(|udf| ScalarFunction { udf })
        .collect()
}

/// Every window function of the pack.
#[pyfunction]
fn window_functions() -> Vec<WindowFunction> {
    datafusion_engagement::all_window_functions()
        .into_iter()
        .map(|udwf| WindowFunction { udwf })
        .collect()
}

/// How many batches the pack's grouped accumulators have taken from the wheel, as
/// `(updates, merges)`, counted since the module was loaded.
#[pyfunction]
fn grouped_batches_taken() -> (u64, u64) {
    grouped_batches::batches_taken()
}

/// The version of DataFusion (and of its FFI) this module was built with.
#[pyfunction]
fn datafusion_version() -> &'static str {
    datafusion::DATAFUSION_VERSION
}

#[pymodule]
fn _internal(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<AggregateFunction>()?;
    module.add_class::<ScalarFunction>()?;
    module.add_class::<WindowFunction>()?;
    module.add_function(wrap_pyfunction!(aggregate_functions, module)?)?;
    module.add_function(wrap_pyfunction!(state_functions, module)?)?;
    module.add_function(wrap_pyfunction!(scalar_functions, module)?)?;
    module.add_function(wrap_pyfunction!(window_functions, module)?)?;
    module.add_function(wrap_pyfunction!(datafusion_version, module)?)?;
    module.add_function(wrap_pyfunction!(grouped_batches_taken, module)?)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
