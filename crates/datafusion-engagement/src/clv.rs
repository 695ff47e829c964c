//! `clv(order_value, customer_id, order_time, lifespan_years [, period])`: customer lifetime
//! value.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, AsArray, Date32Array, Float64Array};
use datafusion::arrow::datatypes::{DataType, Date32Type, Float64Type, TimeUnit};
use datafusion::common::{ScalarValue, exec_datafusion_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::Documentation;

use crate::calendar::zoned_days::{coerce_event_time, days_since_epoch};
use crate::calendar::{CalendarUnit, DAYS_PER_YEAR};
use crate::common::DOC_SECTION_ENGAGEMENT;
use crate::common::args::{check_arg_count, coerce_numeric, coerce_string, number_constant};
use crate::common::metric::{Metric, shared_udaf};
use crate::common::rows::SelectedRows;
use crate::common::user_ids::UserIdKind;
use crate::kernels::keyed::{KeyedKernel, KeyedRule, KeyedValue};

/// Average order value × purchases per customer per year × lifespan in years.
#[derive(Debug)]
pub(crate) struct Clv;

/// A customer's order total and first and last order day.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CustomerOrders {
    value: f64,
    first_day: i32,
    last_day: i32,
}

impl KeyedValue for CustomerOrders {
    const EMPTY: Self = Self {
        value: 0.0,
        first_day: 0,
        last_day: 0,
    };

    fn merge(&mut self, other: &Self) {
        self.value += other.value;
        self.first_day = self.first_day.min(other.first_day);
        self.last_day = self.last_day.max(other.last_day);
    }

    fn state_fields() -> Vec<(&'static str, DataType)> {
        vec![
            ("order_values", DataType::Float64),
            ("first_order_days", DataType::Date32),
            ("last_order_days", DataType::Date32),
        ]
    }

    fn to_arrays(values: &[Self]) -> Vec<ArrayRef> {
        vec![
            Arc::new(Float64Array::from_iter_values(
                values.iter().map(|c| c.value),
            )),
            Arc::new(Date32Array::from_iter_values(
                values.iter().map(|c| c.first_day),
            )),
            Arc::new(Date32Array::from_iter_values(
                values.iter().map(|c| c.last_day),
            )),
        ]
    }

    fn read(arrays: &[ArrayRef], index: usize) -> Self {
        Self {
            value: arrays[0].as_primitive::<Float64Type>().value(index),
            first_day: arrays[1].as_primitive::<Date32Type>().value(index),
            last_day: arrays[2].as_primitive::<Date32Type>().value(index),
        }
    }
}

/// Customers, their order total and the first and last order day of a group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Orders {
    customers: u64,
    value: f64,
    first_day: i32,
    last_day: i32,
}

impl Default for Orders {
    fn default() -> Self {
        Self {
            customers: 0,
            value: 0.0,
            first_day: i32::MAX,
            last_day: i32::MIN,
        }
    }
}

#[derive(Debug)]
pub(crate) struct ClvRule {
    lifespan_years: f64,
    /// The calendar periods the purchase frequency counts in; `None`: the observed span.
    period: Option<CalendarUnit>,
}

impl ClvRule {
    /// The years the group's orders are counted over.
    fn years(&self, orders: &Orders) -> f64 {
        match self.period {
            Some(unit) => {
                unit.periods_spanned(orders.first_day, orders.last_day) as f64 * unit.years()
            }
            None => {
                let observed_days = (orders.last_day as i64 - orders.first_day as i64 + 1) as f64;
                observed_days / DAYS_PER_YEAR
            }
        }
    }
}

impl KeyedRule for ClvRule {
    type Value = CustomerOrders;
    type Summary = Orders;
    const KEY_ARG: usize = 1;

    fn row_values(&self, inputs: &[ArrayRef], rows: &SelectedRows) -> Result<Vec<CustomerOrders>> {
        let values = inputs[0].as_primitive::<Float64Type>().values();
        if let Some(row) = rows.indices().find(|&row| !values[row].is_finite()) {
            return Err(exec_datafusion_err!(
                "{}: order_value {} is not valid: expected a finite number",
                Clv::NAME,
                values[row]
            ));
        }
        let days = days_since_epoch(Clv::NAME, &inputs[2])?;
        Ok(values
            .iter()
            .zip(days)
            .map(|(&value, day)| CustomerOrders {
                value,
                first_day: day,
                last_day: day,
            })
            .collect())
    }

    fn fold(orders: &mut Orders, customer: &CustomerOrders) {
        orders.customers += 1;
        orders.value += customer.value;
        orders.first_day = orders.first_day.min(customer.first_day);
        orders.last_day = orders.last_day.max(customer.last_day);
    }

    fn result(&self, orders: &Orders) -> Option<f64> {
        // AOV × purchases per customer per year = Σvalue / customers / years.
        (orders.customers > 0).then(|| {
            orders.value / orders.customers as f64 / self.years(orders) * self.lifespan_years
        })
    }
}

impl Metric for Clv {
    const NAME: &'static str = "clv";
    const UNIT: Option<&'static str> = None;
    const STATE_NAMES: &'static [&'static str] = &["customers"];
    const REQUIRED_ARGS: &'static [usize] = &[0, 1, 2];
    const CONSTANT_ARGS: &'static [(usize, &'static str)] = &[(3, "lifespan_years"), (4, "period")];
    type Rule = ClvRule;
    type Kernel = KeyedKernel;

    fn documentation() -> &'static Documentation {
        static DOCUMENTATION: LazyLock<Documentation> = LazyLock::new(|| {
            Documentation::builder(
                DOC_SECTION_ENGAGEMENT,
                "Customer lifetime value: average order value × purchases per customer per year × \
                 lifespan_years = Σorder_value / distinct customers / years × lifespan_years, a \
                 DOUBLE. With period ('day', 'week' from Monday, 'month', 'quarter' or 'year'), \
                 years are the whole calendar periods from the group's first order's to its \
                 last order's, counted in years (a month is 1/12, a week 7/365.25): 12 monthly \
                 orders of 100 in one calendar year give 100 × 12 × 1 = 1200 with lifespan 1 and \
                 period 'year'. Without period, years are the observed span: (last − first order \
                 date + 1) / 365.25 days, so n orders a month apart span n − 1 months and read \
                 higher (1308 in that example). Order dates are calendar dates of order_time in \
                 its own time zone (as date_trunc('day', order_time) gives them). Rows \
                 with a NULL order_value, customer_id or order_time are skipped; a group without \
                 orders gives NULL. A NaN or infinite order_value is an error; negative values \
                 (refunds) count.",
                "clv(order_value, customer_id, order_time, lifespan_years [, period])",
            )
            .with_sql_example("```sql\n-- purchases per year over the calendar years the orders fall in\nSELECT region, clv(amount, customer_id, ordered_at, 3, 'year') AS clv_3y\nFROM orders\nGROUP BY region;\n```")
            .with_argument("order_value", "Value of the order: any integer, floating point or DECIMAL column.")
            .with_argument("customer_id", "Customer identifier: any integer or string column (Utf8, LargeUtf8, Utf8View or dictionary).")
            .with_argument("order_time", "When the order was placed: a TIMESTAMP of any unit and zone, or a DATE.")
            .with_argument("lifespan_years", "Expected customer lifespan in years: a positive numeric constant.")
            .with_argument("period", "Optional: the calendar period the purchase frequency counts whole periods of, the constant 'day', 'week', 'month', 'quarter' or 'year'. Without it, the observed span from first to last order.")
            .build()
        });
        &DOCUMENTATION
    }

    fn check_arg_types(arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arg_count(Self::NAME, arg_types, 4, 5, Self::usage())?;
        let mut types = vec![
            coerce_numeric(Self::NAME, "order_value", &arg_types[0])?,
            UserIdKind::coerce(Self::NAME, "customer_id", &arg_types[1])?,
            coerce_event_time(Self::NAME, "order_time", &arg_types[2])?,
            coerce_numeric(Self::NAME, "lifespan_years", &arg_types[3])?,
        ];
        if let Some(period) = arg_types.get(4) {
            types.push(coerce_string(Self::NAME, "period", period)?);
        }
        Ok(types)
    }

    fn example_arg_types() -> Vec<Vec<DataType>> {
        let time = DataType::Timestamp(TimeUnit::Microsecond, None);
        UserIdKind::example_types()
            .into_iter()
            .flat_map(|customer| {
                let four = vec![DataType::Float64, customer, time.clone(), DataType::Float64];
                let mut five = four.clone();
                five.push(DataType::Utf8);
                [four, five]
            })
            .collect()
    }

    fn rule(constants: &[Option<ScalarValue>]) -> Result<ClvRule> {
        let Some(lifespan) = &constants[0] else {
            return plan_err!("{}: lifespan_years is required", Self::NAME);
        };
        let lifespan_years = number_constant(Self::NAME, "lifespan_years", lifespan)?;
        if lifespan_years <= 0.0 {
            return plan_err!(
                "{}: lifespan_years must be a positive number of years, got {lifespan}",
                Self::NAME
            );
        }
        let period = constants[1]
            .as_ref()
            .map(|period| {
                CalendarUnit::of_argument(Self::NAME, "period", period, &CalendarUnit::ALL)
            })
            .transpose()?;
        Ok(ClvRule {
            lifespan_years,
            period,
        })
    }
}

shared_udaf!(
    /// The `clv` aggregate function.
    clv_udaf,
    Clv
);
