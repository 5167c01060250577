//! Run-time CPU-feature dispatch, the one place the workspace asks which x86-64 vector
//! instructions this CPU has: the estimators' distance kernels and the training kernels of the
//! `ib-analyze` crate dispatch through [`with_simd`] or [`multiversion!`](crate::multiversion),
//! both on [`level`].
//!
//! The kernels are written once in portable Rust with `#[inline(always)]`; [`with_simd`] inlines
//! them into a function compiled with the wider instruction set, chosen once per process.
//! Results do not depend on the level: Rust never contracts `a * b + c` into a fused
//! multiply-add on its own, so every level performs the same correctly rounded operations.

use std::sync::OnceLock;

/// The instruction-set level the kernels are compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// The target's baseline (no run-time extension).
    Scalar,
    /// AVX2 with FMA, POPCNT, BMI1/2 and LZCNT (x86-64-v3).
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512 F/DQ/VL on top of [`Level::Avx2`] (x86-64-v4).
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

/// The best level this CPU supports, detected once. Setting `IB_ESTIMATORS_NO_SIMD` (to any
/// value) before the first call forces [`Level::Scalar`] (for tests and benchmarks of the
/// baseline kernels).
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::env::var_os("IB_ESTIMATORS_NO_SIMD").is_some() {
                return Level::Scalar;
            }
            if std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512vl")
            {
                return Level::Avx512;
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Level::Avx2;
            }
        }
        Level::Scalar
    })
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma,popcnt,bmi1,bmi2,lzcnt")]
fn run_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,popcnt,bmi1,bmi2,lzcnt")]
fn run_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Runs `f` compiled for the best instruction set of this CPU: `f`, and the `#[inline(always)]`
/// kernels it calls, are inlined into a function with those target features.
#[inline(always)]
pub fn with_simd<R>(f: impl FnOnce() -> R) -> R {
    match level() {
        // SAFETY: the CPU supports the features (checked at run time by `level`).
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => unsafe { run_avx512(f) },
        // SAFETY: as above.
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => unsafe { run_avx2(f) },
        Level::Scalar => f(),
    }
}

/// Defines `fn NAME<const C: bool>(ARGS) -> R` that calls the `#[inline(always)]` kernel
/// `KERNEL::<C>(ARGS)` compiled for the best [`Level`] of this CPU ([`level`]), through one
/// `#[target_feature]` wrapper per level that takes the arguments as real parameters.
///
/// Use it rather than [`with_simd`] for kernels over several slices: a closure hands its
/// captured slices over through its environment, where the compiler no longer knows that they
/// do not alias, and the vectorised loops need more instructions (measured on the training
/// step's batch-norm and SGD kernels: a third more).
///
/// ```
/// #[inline(always)]
/// fn scale<const NEG: bool>(x: &mut [f32], a: f32) {
///     for v in x.iter_mut() {
///         *v = if NEG { -*v * a } else { *v * a };
///     }
/// }
/// ib_estimators::multiversion!(fn scale_simd<const NEG: bool>(x: &mut [f32], a: f32) = scale);
/// let mut x = [1.0f32, 2.0];
/// scale_simd::<true>(&mut x, 2.0);
/// assert_eq!(x, [-2.0, -4.0]);
/// ```
#[macro_export]
macro_rules! multiversion {
    ($vis:vis fn $name:ident<const $c:ident: bool>($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)? = $kernel:ident) => {
        $vis fn $name<const $c: bool>($($a: $t),*) $(-> $r)? {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma,popcnt,bmi1,bmi2,lzcnt")]
                fn avx512<const $c: bool>($($a: $t),*) $(-> $r)? {
                    $kernel::<$c>($($a),*)
                }
                #[target_feature(enable = "avx2,fma,popcnt,bmi1,bmi2,lzcnt")]
                fn avx2<const $c: bool>($($a: $t),*) $(-> $r)? {
                    $kernel::<$c>($($a),*)
                }
                match $crate::cpu::level() {
                    // SAFETY: `level` checked at run time that the CPU has these features.
                    $crate::cpu::Level::Avx512 => return unsafe { avx512::<$c>($($a),*) },
                    // SAFETY: as above.
                    $crate::cpu::Level::Avx2 => return unsafe { avx2::<$c>($($a),*) },
                    $crate::cpu::Level::Scalar => {}
                }
            }
            $kernel::<$c>($($a),*)
        }
    };
}
