//! Data readers and writers.
