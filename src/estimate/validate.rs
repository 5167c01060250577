//! Checks the flags of `estimate` against each other before any file is read: every refusal
//! names the flag and the fix (exit code 2).

use anyhow::{bail, Result};

use super::vocabulary::{Method, NormArg, Quantity};
use super::EstimateRequest;

fn methods_list(q: Quantity) -> String {
    q.methods()
        .iter()
        .map(|m| m.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks the flags against each other before any file is read.
pub fn validate(args: &EstimateRequest) -> Result<()> {
    let (q, m) = (args.quantity, args.method);
    if !q.methods().contains(&m) {
        bail!(
            "--method {}: not available for `estimate {}` — valid methods: {}",
            m.name(),
            q.name(),
            methods_list(q)
        );
    }
    if args.k.is_some() && !m.is_knn() {
        bail!(
            "--k applies to the k-NN methods (kl, ksg1, ksg2), not to --method {} — remove --k",
            m.name()
        );
    }
    match args.k {
        Some(0) => bail!("--k 0: k must be at least 1 (3 is the usual choice)"),
        // k neighbours besides the row itself: k + 1 rows, which must be countable.
        Some(k) if k.checked_add(1).is_none() => bail!(
            "--k {k}: the k-th neighbour needs k + 1 rows, more than any input can hold — use a k \
             below the number of rows (3 is the usual choice)"
        ),
        _ => {}
    }
    if args.bins.is_some() && !m.is_binned() {
        bail!(
            "--bins applies to --method binned or binned-mm, not to --method {} — remove --bins",
            m.name()
        );
    }
    if args.bins == Some(0) {
        bail!("--bins 0: use at least 1 bin per column (e.g. --bins 8)");
    }
    match (args.norm, m) {
        (None, _) | (Some(_), Method::Kl) | (Some(NormArg::Max), Method::Ksg1 | Method::Ksg2) => {}
        (Some(NormArg::Euclidean), Method::Ksg1 | Method::Ksg2) => bail!(
            "--norm euclidean: KSG is defined with the max-norm — remove --norm (or use --method kl)"
        ),
        (Some(n), _) => bail!(
            "--norm {}: applies to the k-NN methods (kl, ksg1, ksg2), not to --method {} — remove --norm",
            n.name(),
            m.name()
        ),
    }
    if let Some(r) = args.ridge {
        if m != Method::Gaussian {
            bail!(
                "--ridge applies to --method gaussian, not to --method {} — remove --ridge",
                m.name()
            );
        }
        if !(r.is_finite() && r >= 0.0) {
            bail!("--ridge {r}: the ridge must be a finite number >= 0 (e.g. --ridge 1e-6)");
        }
    }
    match q {
        Quantity::Entropy => {
            if args.y_cols.is_some() {
                bail!(
                    "--y-cols applies to `estimate mi` and `estimate cond-entropy`; for `estimate entropy` \
                     choose the columns with --x-cols A:B"
                );
            }
        }
        Quantity::Mi | Quantity::CondEntropy => {
            let what = if q == Quantity::Mi {
                "I(X;Y)"
            } else {
                "H(X|Y)"
            };
            match (&args.x_cols, &args.y_cols) {
                (Some(_), Some(_)) => {}
                (None, None) => bail!(
                    "`estimate {}` needs --x-cols A:B and --y-cols A:B (half-open, 0-based) to say \
                     which columns are X and which are Y in {what}, e.g. --x-cols 0:4 --y-cols 4:8",
                    q.name()
                ),
                (None, Some(_)) => bail!(
                    "`estimate {}` needs --x-cols A:B as well as --y-cols (X in {what}), e.g. --x-cols 0:4",
                    q.name()
                ),
                (Some(_), None) => bail!(
                    "`estimate {}` needs --y-cols A:B as well as --x-cols (Y in {what}), e.g. --y-cols 4:8",
                    q.name()
                ),
            }
        }
    }
    match (args.jitter, args.seed, args.ci) {
        (Some(s), _, _) if !(s.is_finite() && s > 0.0) => {
            bail!("--jitter {s}: the noise standard deviation must be a finite number > 0 (e.g. --jitter 1e-6)")
        }
        (None, Some(_), None) => bail!(
            "--seed applies to --jitter (the seed of the added noise) and --ci (the seed of the \
             jackknife groups) — add --jitter SIGMA or --ci LEVEL, or remove --seed"
        ),
        _ => {}
    }
    match (args.ci, args.ci_groups) {
        (Some(level), _) if !(level > 0.0 && level < 1.0) => bail!(
            "--ci {level}: the confidence level must be a number strictly between 0 and 1 \
             (e.g. --ci 0.95)"
        ),
        (None, Some(_)) => bail!(
            "--ci-groups applies to --ci (the number of jackknife groups) — add --ci LEVEL or \
             remove --ci-groups"
        ),
        (Some(_), Some(g)) if g < 2 => bail!(
            "--ci-groups {g}: the jackknife needs at least 2 groups (20 is the default) — use \
             --ci-groups 2 or more"
        ),
        _ => {}
    }
    Ok(())
}
