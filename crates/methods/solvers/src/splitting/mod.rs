//! The splitting family: methods for a smooth part plus prox-friendly terms and
//! vars in sets, as the structure's [`Composite`](crate::facts::Composite) and var
//! facts describe them.
//!
//! - `fista.rs`: accelerated proximal gradient with backtracking and restart;
//! - `frank_wolfe.rs`: conditional gradient with away steps;
//! - `lasso.rs`: coordinate descent with working sets for least squares + ℓ1;
//! - `admm.rs`: ADMM for a linear coupling `A x + B z + c = 0` with the
//!   nonsmooth terms on `z`;
//! - `nonsmooth.rs`: the nonsmooth part `h` (prox, projection, linear oracle);
//! - `certificate.rs`: the duality gap and the prox residual;
//! - `methods.rs`: the [`Method`](crate::Method)s.
//!
//! The operators themselves (each penalty's prox, each set's projection and
//! oracle, the top singular pair) are optl-linalg's `prox` module.

mod admm;
mod certificate;
mod fista;
mod frank_wolfe;
mod lasso;
pub mod methods;
mod nonsmooth;

pub use admm::{Admm, Coupled};
pub use certificate::{Certificate, LassoDual};
pub use fista::Fista;
pub use frank_wolfe::{FrankWolfe, Step};
pub use lasso::{Bcd, Rule};
pub use nonsmooth::Nonsmooth;

#[cfg(test)]
mod tests;
