//! Grouped batches cross the FFI without a second copy of their group indices.
//!
//! The `datafusion` wheel hands each batch to a grouped accumulator through datafusion-ffi's
//! `FFI_GroupsAccumulator::update_batch`, with the batch's group indices in a vector it has
//! just filled. datafusion-ffi 55's receiving side then copies that vector element by element
//! into a `Vec<usize>` before calling the accumulator: about 8 µs a batch of 8,192 rows, as
//! much as NPS's own work on the batch. Here the receiving side (ours) is replaced by one that
//! reads the indices where the wheel put them.
//!
//! datafusion-ffi builds the struct inside its `create_groups_accumulator` callback and keeps
//! its types in a private module, so the struct is reached through [`GroupsAccumulatorLayout`],
//! a mirror of its `#[repr(C)]` layout whose size and alignment the build checks. Only the two batch
//! callbacks are replaced; evaluation, states, sizes and release stay datafusion-ffi's own.

use std::ffi::c_void;
use std::mem::{align_of, size_of};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::arrow::array::{Array, ArrayRef, BooleanArray};
use datafusion::common::Result;
use datafusion::logical_expr::GroupsAccumulator;
use datafusion_ffi::arrow_wrappers::WrappedArray;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::util::{FFI_Option, FFI_Result};
use stabby::string::String as SString;
use stabby::vec::Vec as SVec;

/// datafusion-ffi 55.2's `FFI_GroupsAccumulator`, field for field (`#[repr(C)]` there and
/// here). Callbacks not replaced are kept as opaque pointers.
#[repr(C)]
struct GroupsAccumulatorLayout {
    update_batch: unsafe extern "C" fn(
        accumulator: &mut GroupsAccumulatorLayout,
        values: SVec<WrappedArray>,
        group_indices: SVec<usize>,
        opt_filter: FFI_Option<WrappedArray>,
        total_num_groups: usize,
    ) -> FFI_Result<()>,
    evaluate: *const c_void,
    size: *const c_void,
    state: *const c_void,
    merge_batch: unsafe extern "C" fn(
        accumulator: &mut GroupsAccumulatorLayout,
        values: SVec<WrappedArray>,
        group_indices: SVec<usize>,
        total_num_groups: usize,
    ) -> FFI_Result<()>,
    convert_to_state: *const c_void,
    release: *const c_void,
    /// datafusion-ffi's `GroupsAccumulatorPrivateData`: one public field, the accumulator.
    private_data: *mut PrivateDataLayout,
    library_marker_id: *const c_void,
}

/// datafusion-ffi 55.2's `GroupsAccumulatorPrivateData { pub accumulator: Box<dyn
/// GroupsAccumulator> }`: a struct of one field is laid out as that field.
struct PrivateDataLayout {
    accumulator: Box<dyn GroupsAccumulator>,
}

/// datafusion-ffi's own callbacks (the same for every function), called by ours.
struct OriginalCallbacks {
    /// `create_groups_accumulator`, whose argument and result types datafusion-ffi keeps
    /// private: the address, turned back into the callback's type where it is called.
    create: usize,
    clone: unsafe extern "C" fn(&FFI_AggregateUDF) -> FFI_AggregateUDF,
}

static ORIGINAL_CALLBACKS: OnceLock<OriginalCallbacks> = OnceLock::new();

fn original_callbacks() -> &'static OriginalCallbacks {
    ORIGINAL_CALLBACKS
        .get()
        .expect("installed after the callbacks were recorded")
}

/// Batches taken in place so far, updates and merges: the tests' evidence that the wheel
/// calls the pack's grouped accumulators, and through these callbacks.
static UPDATE_BATCHES: AtomicU64 = AtomicU64::new(0);
static MERGE_BATCHES: AtomicU64 = AtomicU64::new(0);

/// The (update, merge) batches grouped accumulators of this library have taken in place.
pub(crate) fn batches_taken() -> (u64, u64) {
    (
        UPDATE_BATCHES.load(Ordering::Relaxed),
        MERGE_BATCHES.load(Ordering::Relaxed),
    )
}

/// Makes the grouped accumulators `udaf` creates take their batches without copying the
/// group indices; clones of `udaf` (the wheel clones a function when it plans with it) too.
/// `udaf` must be as datafusion-ffi built it.
pub(crate) fn install(udaf: &mut FFI_AggregateUDF) {
    // Every struct datafusion-ffi builds carries the same two callbacks: the first one seen
    // serves all.
    ORIGINAL_CALLBACKS.get_or_init(|| OriginalCallbacks {
        create: udaf.create_groups_accumulator as usize,
        clone: udaf.clone,
    });
    install_create(&mut udaf.create_groups_accumulator);
    udaf.clone = clone_with_installed;
}

/// Replaces the `create_groups_accumulator` callback. Its argument and result types are
/// private to datafusion-ffi; they are inferred here, from the callback's own type.
fn install_create<Args, Created>(
    callback: &mut unsafe extern "C" fn(&FFI_AggregateUDF, Args) -> FFI_Result<Created>,
) {
    // Another datafusion-ffi whose struct is laid out otherwise fails the build here.
    const {
        assert!(
            size_of::<Created>() == size_of::<GroupsAccumulatorLayout>()
                && align_of::<Created>() == align_of::<GroupsAccumulatorLayout>(),
            "datafusion-ffi's FFI_GroupsAccumulator is not laid out as GroupsAccumulatorLayout"
        )
    };
    *callback = create_with_batches_in_place::<Args, Created>;
}

unsafe extern "C" fn create_with_batches_in_place<Args, Created>(
    udaf: &FFI_AggregateUDF,
    args: Args,
) -> FFI_Result<Created> {
    // SAFETY: `create` is the callback this one replaced, of this very type.
    let original: unsafe extern "C" fn(&FFI_AggregateUDF, Args) -> FFI_Result<Created> =
        unsafe { std::mem::transmute(original_callbacks().create) };
    let mut created = unsafe { original(udaf, args) };
    if let FFI_Result::Ok(accumulator) = &mut created {
        // SAFETY: `Created` is datafusion-ffi's `FFI_GroupsAccumulator`, whose `#[repr(C)]`
        // layout `GroupsAccumulatorLayout` mirrors (sizes checked by `install_create`).
        let layout = unsafe { &mut *(accumulator as *mut Created as *mut GroupsAccumulatorLayout) };
        layout.update_batch = update_batch_in_place;
        layout.merge_batch = merge_batch_in_place;
    }
    created
}

unsafe extern "C" fn clone_with_installed(udaf: &FFI_AggregateUDF) -> FFI_AggregateUDF {
    let mut clone = unsafe { (original_callbacks().clone)(udaf) };
    install(&mut clone);
    clone
}

/// The accumulator inside datafusion-ffi's struct.
///
/// # Safety
/// `accumulator` must be a live struct built by datafusion-ffi from a local accumulator.
unsafe fn local(accumulator: &mut GroupsAccumulatorLayout) -> &mut dyn GroupsAccumulator {
    unsafe { (*accumulator.private_data).accumulator.as_mut() }
}

fn imported(values: SVec<WrappedArray>) -> Result<Vec<ArrayRef>> {
    Ok(values
        .into_iter()
        .map(ArrayRef::try_from)
        .collect::<Result<_, _>>()?)
}

fn ffi_result(result: Result<()>) -> FFI_Result<()> {
    match result {
        Ok(()) => FFI_Result::Ok(()),
        Err(error) => FFI_Result::Err(SString::from(error.to_string().as_str())),
    }
}

unsafe extern "C" fn update_batch_in_place(
    accumulator: &mut GroupsAccumulatorLayout,
    values: SVec<WrappedArray>,
    group_indices: SVec<usize>,
    opt_filter: FFI_Option<WrappedArray>,
    total_num_groups: usize,
) -> FFI_Result<()> {
    UPDATE_BATCHES.fetch_add(1, Ordering::Relaxed);
    let accumulator = unsafe { local(accumulator) };
    ffi_result((|| {
        let values = imported(values)?;
        let filter = Option::<WrappedArray>::from(opt_filter)
            .map(|filter| ArrayRef::try_from(filter).map(|f| BooleanArray::from(f.into_data())))
            .transpose()?;
        accumulator.update_batch(&values, &group_indices, filter.as_ref(), total_num_groups)
    })())
}

unsafe extern "C" fn merge_batch_in_place(
    accumulator: &mut GroupsAccumulatorLayout,
    values: SVec<WrappedArray>,
    group_indices: SVec<usize>,
    total_num_groups: usize,
) -> FFI_Result<()> {
    MERGE_BATCHES.fetch_add(1, Ordering::Relaxed);
    let accumulator = unsafe { local(accumulator) };
    ffi_result(
        imported(values)
            .and_then(|values| accumulator.merge_batch(&values, &group_indices, total_num_groups)),
    )
}
