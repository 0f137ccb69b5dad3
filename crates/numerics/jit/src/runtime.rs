//! Host functions that compiled kernels call: the transcendental functions (wrappers
//! around the interpreter's own `unary_f64`/`binary_f64`, so results are bitwise
//! identical) and matrix products (through `optl_tensor::matmul`, as the interpreter).
//!
//! None of this is `unsafe`: scalar functions take and return `f64`, and the matrix
//! product receives a reference to the [`CallCtx`] of the running call (the kernel
//! passes the pointer it was given) and finds its operands there by location, as
//! safe slices.

use optl_ir::interp::{binary_f64, unary_f64};
use optl_ir::{BinaryOp, UnaryOp};

use crate::JitError;
use crate::plan::{MatMulOp, Mem};

/// What a running kernel call can reach from the runtime.
pub(crate) struct CallCtx<'a, 'i, 'o> {
    pub inputs: &'a [&'i [f64]],
    pub outputs: &'a mut [&'o mut [f64]],
    pub scratch: &'a mut [f64],
    pub consts: &'a [f64],
    pub matmuls: &'a [MatMulOp],
    pub error: Option<JitError>,
}

impl CallCtx<'_, '_, '_> {
    fn read(&self, mem: Mem, len: usize) -> Option<&[f64]> {
        match mem {
            Mem::In(k) => self.inputs.get(k as usize)?.get(..len),
            Mem::Out(k) => self.outputs.get(k as usize)?.get(..len),
            Mem::Scratch(o) => self.scratch.get(o..o + len),
            Mem::Const(o) => self.consts.get(o..o + len),
        }
    }

    fn write(&mut self, mem: Mem, len: usize) -> Option<&mut [f64]> {
        match mem {
            Mem::Out(k) => self.outputs.get_mut(k as usize)?.get_mut(..len),
            Mem::Scratch(o) => self.scratch.get_mut(o..o + len),
            Mem::In(_) | Mem::Const(_) => None,
        }
    }

    fn matmul(&mut self, id: u64) -> Result<(), JitError> {
        let bad = |what: &str| JitError::Runtime(format!("matmul {id}: {what}"));
        let op = *usize::try_from(id)
            .ok()
            .and_then(|i| self.matmuls.get(i))
            .ok_or_else(|| bad("no such product"))?;
        // The operands are read in place (no copy of a large matrix); the product is
        // computed into a buffer because it may be written over scratch memory that
        // the operands are read from.
        let a = self
            .read(op.a, op.m * op.k)
            .ok_or_else(|| bad("operand out of range"))?;
        let b = self
            .read(op.b, op.k * op.n)
            .ok_or_else(|| bad("operand out of range"))?;
        let mut product = vec![0.0; op.m * op.n];
        optl_tensor::matmul_into(a, b, op.m, op.k, op.n, &mut product)
            .map_err(|e| bad(&e.to_string()))?;
        self.write(op.out, op.m * op.n)
            .ok_or_else(|| bad("result out of range"))?
            .copy_from_slice(&product);
        Ok(())
    }
}

/// `out = a @ b` for the product `id` of the running kernel.
extern "C" fn rt_matmul(ctx: &mut CallCtx<'_, '_, '_>, id: u64) {
    if let Err(e) = ctx.matmul(id)
        && ctx.error.is_none()
    {
        ctx.error = Some(e);
    }
}

macro_rules! unary_wrappers {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(extern "C" fn $name(x: f64) -> f64 {
            unary_f64(UnaryOp::$op, x)
        })*

        /// The host function computing a unary operation, if it needs one.
        pub(crate) fn unary_symbol(op: UnaryOp) -> Option<&'static str> {
            match op {
                $(UnaryOp::$op => Some(stringify!($name)),)*
                _ => None,
            }
        }

        const UNARY: &[(&str, extern "C" fn(f64) -> f64)] = &[$((stringify!($name), $name)),*];
    };
}

unary_wrappers! {
    optl_rt_exp => Exp,
    optl_rt_log => Log,
    optl_rt_log1p => Log1p,
    optl_rt_sin => Sin,
    optl_rt_cos => Cos,
    optl_rt_tan => Tan,
    optl_rt_atan => Atan,
    optl_rt_tanh => Tanh,
    optl_rt_sigmoid => Sigmoid,
}

extern "C" fn optl_rt_pow(a: f64, b: f64) -> f64 {
    binary_f64(BinaryOp::Pow, a, b)
}

/// Name of the power function.
pub(crate) const POW: &str = "optl_rt_pow";
/// Name of the matrix product.
pub(crate) const MATMUL: &str = "optl_rt_matmul";

/// How many `f64` arguments a host function takes (0 for the matrix product, which
/// takes a context pointer and an index).
pub(crate) enum Kind {
    Unary,
    Binary,
    Context,
}

/// Every host function: name, address, kind.
pub(crate) fn symbols() -> Vec<(&'static str, *const u8, Kind)> {
    let mut v: Vec<(&'static str, *const u8, Kind)> = UNARY
        .iter()
        .map(|&(name, f)| (name, f as *const u8, Kind::Unary))
        .collect();
    let pow: extern "C" fn(f64, f64) -> f64 = optl_rt_pow;
    v.push((POW, pow as *const u8, Kind::Binary));
    let mm: extern "C" fn(&mut CallCtx<'_, '_, '_>, u64) = rt_matmul;
    v.push((MATMUL, mm as *const u8, Kind::Context));
    v
}
