//! Datasets. Nothing is downloaded: data ship in `data/` or are generated from the seed.

pub mod synthetic;

pub use synthetic::SyntheticData;
