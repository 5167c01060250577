//! The random stream of the training augmentation: xoshiro256++ (Blackman & Vigna, "Scrambled
//! linear pseudorandom number generators", ACM TOMS 2021) from `rand_xoshiro`, seeded through
//! SplitMix64 (its `seed_from_u64`), and standard normals by the ziggurat method (Marsaglia &
//! Tsang, J. Stat. Softw. 2000, 128 layers; each 32-bit half of a draw gives the layer index
//! from 7 bits and a 25-bit signed value from the other 25, so index and value never share
//! bits, which avoids the correlation Doornik 2005 found in the original).
//!
//! Why the normals are not `rand_distr::StandardNormal`: it is a different ziggurat (256
//! layers, one f64 from each 64-bit draw), so the same generator gives different numbers. The
//! augmentation noise of every training step comes from this stream, so changing it would change
//! every seeded result: run.json, the snapshots, and the calibration runs behind the verdict
//! thresholds and the README's tables. Speed does not decide it: `cargo bench --bench bench_rng`
//! measures both on the same generator within a few percent of each other (3.7 and 3.8 ns per
//! normal filling one step's 45 056 draws on an AVX2 machine; ChaCha12 `StdRng` with
//! `rand_distr::Normal`, 12.5 ns), about 0.2 ms of a training step either way.
//!
//! The uniform generator is exactly `rand_xoshiro::Xoshiro256PlusPlus` seeded by its
//! `seed_from_u64`: a test checks the stream against the authors' reference output and against
//! xoshiro256++ and its SplitMix64 seeding written out in the test, and another test pins
//! the first normals of a seed. Its algorithm is fixed by its name, unlike
//! `rand::rngs::SmallRng`'s, so a seed keeps giving the same stream across rand versions.

use rand::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::OnceLock;

/// Ziggurat tables: `k` the integer acceptance bounds, `w` the layer widths per unit of the
/// 25-bit signed integer (f32 for the fast path, f64 for the slow one), `f` the density at the
/// layer edges.
struct Ziggurat {
    k: [u32; 128],
    w: [f32; 128],
    w64: [f64; 128],
    f: [f64; 128],
}

/// Right edge of the base layer.
const ZIG_R: f64 = 3.442619855899;

fn ziggurat() -> &'static Ziggurat {
    static TABLES: OnceLock<Ziggurat> = OnceLock::new();
    TABLES.get_or_init(|| {
        // Marsaglia & Tsang's set-up (their `zigset`, normal part), in f64.
        const M1: f64 = (1u32 << 24) as f64;
        const V: f64 = 9.91256303526217e-3;
        let mut dn = ZIG_R;
        let mut tn = dn;
        let q = V / (-0.5 * dn * dn).exp();
        let (mut k, mut w64, mut f) = ([0u32; 128], [0f64; 128], [0f64; 128]);
        k[0] = ((dn / q) * M1) as u32;
        k[1] = 0;
        w64[0] = q / M1;
        w64[127] = dn / M1;
        f[0] = 1.0;
        f[127] = (-0.5 * dn * dn).exp();
        for i in (1..=126).rev() {
            dn = (-2.0 * (V / dn + (-0.5 * dn * dn).exp()).ln()).sqrt();
            k[i + 1] = ((dn / tn) * M1) as u32;
            tn = dn;
            f[i] = (-0.5 * dn * dn).exp();
            w64[i] = dn / M1;
        }
        let w = w64.map(|v| v as f32);
        Ziggurat { k, w, w64, f }
    })
}

/// xoshiro256++ (256 bits of state, period 2²⁵⁶ − 1, passes BigCrush and PractRand) with the
/// ziggurat normals of this module.
#[derive(Debug, Clone)]
pub struct AugRng {
    xoshiro: Xoshiro256PlusPlus,
}

impl AugRng {
    /// The generator of a 64-bit seed (SplitMix64 expands it, so every seed, 0 included, gives
    /// a valid non-zero state).
    pub fn from_seed_u64(seed: u64) -> Self {
        AugRng {
            xoshiro: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }
}

impl AugRng {
    /// A uniform f64 in the open interval (0, 1).
    fn open01(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal draw (ziggurat) from the low half of one 64-bit draw.
    #[inline]
    pub fn normal(&mut self) -> f32 {
        let bits = self.next_u64() as u32;
        self.normal_from(ziggurat(), bits)
    }

    /// Fills `out` with standard normal draws, two from each 64-bit draw (low half, then high
    /// half). About 99% of draws take the fast path: a table look-up, a compare and a multiply.
    pub fn fill_normal(&mut self, out: &mut [f32]) {
        let t = ziggurat();
        let mut pairs = out.chunks_exact_mut(2);
        for pair in &mut pairs {
            let u = self.next_u64();
            pair[0] = self.normal_from(t, u as u32);
            pair[1] = self.normal_from(t, (u >> 32) as u32);
        }
        if let [last] = pairs.into_remainder() {
            *last = self.normal();
        }
    }

    #[inline(always)]
    fn normal_from(&mut self, t: &Ziggurat, bits: u32) -> f32 {
        let (i, h) = ((bits & 127) as usize, (bits as i32) >> 7);
        if h.unsigned_abs() < t.k[i] {
            return h as f32 * t.w[i];
        }
        self.normal_slow(t, h, i)
    }

    #[cold]
    fn normal_slow(&mut self, t: &Ziggurat, mut h: i32, mut i: usize) -> f32 {
        loop {
            let x = h as f64 * t.w64[i];
            if i == 0 {
                // The tail beyond R (Marsaglia 1964).
                loop {
                    let x = -self.open01().ln() / ZIG_R;
                    let y = -self.open01().ln();
                    if y + y >= x * x {
                        return (if h > 0 { ZIG_R + x } else { -ZIG_R - x }) as f32;
                    }
                }
            }
            if t.f[i] + self.open01() * (t.f[i - 1] - t.f[i]) < (-0.5 * x * x).exp() {
                return x as f32;
            }
            let bits = self.next_u64() as u32;
            (i, h) = ((bits & 127) as usize, (bits as i32) >> 7);
            if h.unsigned_abs() < t.k[i] {
                return h as f32 * t.w[i];
            }
        }
    }
}

impl RngCore for AugRng {
    #[inline]
    fn next_u64(&mut self) -> u64 {
        self.xoshiro.next_u64()
    }

    /// The high half of a 64-bit draw (its low bits are the weaker ones).
    #[inline]
    fn next_u32(&mut self) -> u32 {
        self.xoshiro.next_u32()
    }

    /// Little-endian bytes of successive 64-bit draws, the last one cut short (kept rather than
    /// `Xoshiro256PlusPlus::fill_bytes`, which takes a tail of up to 4 bytes from a 32-bit draw).
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

impl SeedableRng for AugRng {
    type Seed = [u8; 8];

    fn from_seed(seed: [u8; 8]) -> Self {
        AugRng::from_seed_u64(u64::from_le_bytes(seed))
    }

    fn seed_from_u64(state: u64) -> Self {
        AugRng::from_seed_u64(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    const PINNED_FIRST: [u32; 4] = [3163548809, 1064020125, 3215688078, 3202343369];
    const PINNED_HASH: u64 = 14038519110948302404;

    #[test]
    fn matches_the_reference_xoshiro256pp_stream() {
        // Reference output of the authors' C code (xoshiro256plusplus.c) from state 1, 2, 3, 4.
        let mut seed = [0u8; 32];
        for (i, s) in seed.chunks_exact_mut(8).enumerate() {
            s.copy_from_slice(&(i as u64 + 1).to_le_bytes());
        }
        let mut r = AugRng {
            xoshiro: Xoshiro256PlusPlus::from_seed(seed),
        };
        let want = [
            41943041u64,
            58720359,
            3588806011781223,
            3591011842654386,
            9228616714210784205,
        ];
        for w in want {
            assert_eq!(r.next_u64(), w);
        }
    }

    /// The generator as this module first wrote it out: SplitMix64 seeding, then xoshiro256++.
    struct Written {
        s: [u64; 4],
    }

    impl Written {
        fn new(seed: u64) -> Self {
            let mut z = seed;
            let mut next = || {
                z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut x = z;
                x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                x ^ (x >> 31)
            };
            Written {
                s: [next(), next(), next(), next()],
            }
        }

        fn next_u64(&mut self) -> u64 {
            let s = &mut self.s;
            let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
            let t = s[1] << 17;
            s[2] ^= s[0];
            s[3] ^= s[1];
            s[1] ^= s[2];
            s[0] ^= s[3];
            s[2] ^= t;
            s[3] = s[3].rotate_left(45);
            out
        }
    }

    #[test]
    fn rand_xoshiro_gives_the_stream_of_the_written_out_generator() {
        // The seeds of the training loop (config seed ^ salt) among others: the same 64-bit,
        // 32-bit and byte streams as before the generator came from rand_xoshiro.
        for seed in [
            0,
            1,
            2,
            7,
            0xa06_0000,
            0xa06_0001,
            u64::MAX,
            0x0123_4567_89ab_cdef,
        ] {
            let (mut new, mut old) = (AugRng::seed_from_u64(seed), Written::new(seed));
            for _ in 0..1000 {
                assert_eq!(new.next_u64(), old.next_u64(), "seed {seed}");
                assert_eq!(new.next_u32(), (old.next_u64() >> 32) as u32, "seed {seed}");
            }
            for len in 0..=17 {
                let mut bytes = vec![0u8; len];
                new.fill_bytes(&mut bytes);
                let want: Vec<u8> = (0..len.div_ceil(8))
                    .flat_map(|_| old.next_u64().to_le_bytes())
                    .take(len)
                    .collect();
                assert_eq!(bytes, want, "seed {seed}, {len} bytes");
            }
        }
    }

    #[test]
    fn normal_stream_is_pinned() {
        // The augmentation noise of every seeded run: the first normals of a seed as bits, and
        // a hash of the bits of 100 000 (fast path, wedges and tail), both ways of drawing.
        let mut r = AugRng::seed_from_u64(0xa06_0001);
        let mut z = vec![0.0f32; 100_000];
        r.fill_normal(&mut z[..50_001]);
        for v in &mut z[50_001..] {
            *v = r.normal();
        }
        let first: Vec<u32> = z[..4].iter().map(|v| v.to_bits()).collect();
        let hash = z.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, v| {
            (h ^ u64::from(v.to_bits())).wrapping_mul(0x0100_0000_01b3)
        });
        assert_eq!((first, hash), (PINNED_FIRST.to_vec(), PINNED_HASH));
    }

    #[test]
    fn normal_draws_have_the_normal_moments_and_quantiles() {
        let mut r = AugRng::seed_from_u64(11);
        let n = 2_000_000;
        let mut z32 = vec![0.0f32; n];
        r.fill_normal(&mut z32[..n / 2]);
        for v in &mut z32[n / 2..] {
            *v = r.normal();
        }
        let z: Vec<f64> = z32.iter().map(|&v| v as f64).collect();
        let mean = z.iter().sum::<f64>() / n as f64;
        let var = z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        let kurt = z.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n as f64 / (var * var);
        assert!(mean.abs() < 3e-3, "mean {mean}");
        assert!((var - 1.0).abs() < 5e-3, "var {var}");
        assert!((kurt - 3.0).abs() < 3e-2, "kurtosis {kurt}");
        // P(Z ≤ q) at a few quantiles of N(0, 1), including the tails past the base layer.
        for (q, p) in [
            (-3.5, 2.326_29e-4),
            (-2.0, 0.022_750_1),
            (-1.0, 0.158_655),
            (0.0, 0.5),
            (0.5, 0.691_462),
            (1.5, 0.933_193),
            (3.0, 0.998_650),
            (3.6, 0.999_841),
        ] {
            let got = z.iter().filter(|&&v| v <= q).count() as f64 / n as f64;
            let se = (p * (1.0 - p) / n as f64).sqrt();
            assert!(
                (got - p).abs() < 5.0 * se + 1e-6,
                "P(Z <= {q}) = {got}, want {p}"
            );
        }
    }

    #[test]
    fn same_seed_same_stream_and_uniform_mean() {
        let a: Vec<u64> = (0..8)
            .map({
                let mut r = AugRng::seed_from_u64(7);
                move |_| r.next_u64()
            })
            .collect();
        let b: Vec<u64> = (0..8)
            .map({
                let mut r = AugRng::seed_from_u64(7);
                move |_| r.next_u64()
            })
            .collect();
        assert_eq!(a, b);
        let mut r = AugRng::seed_from_u64(8);
        let n = 100_000;
        let mean: f64 = (0..n).map(|_| r.random::<f64>()).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }
}
