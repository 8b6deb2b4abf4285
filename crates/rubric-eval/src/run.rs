//! `rubric run`'s evaluation of a data file: streaming, in parallel batches, output in input
//! order.
