//! The report as a table for people or as CSV for spreadsheets.
//!
//! ## Layout
//! - `table`: [`render_table`], the aligned text table (and a sweep's steps).
//! - `spreadsheet`: [`render_csv`], one row per result under [`CSV_HEADER`].

mod spreadsheet;
mod table;
#[cfg(test)]
mod tests;

pub use spreadsheet::{CSV_HEADER, render_csv};
pub use table::render_table;
