//! Unit tests of the traits: the prelude's rules have their families' traits, and
//! the analysis follows lets, ignores states that do not accumulate the gradient
//! and a `sign` buried in another call.

use super::traits;
use crate::testing::program;

fn of(text: &str) -> Vec<&'static str> {
    traits(&program(text))
}

#[test]
fn the_prelude_rules_have_the_traits_of_their_families() {
    assert_eq!(of("u = lr * g"), Vec::<&str>::new());
    assert_eq!(
        of("state m = zeros_like(w)\nm = beta * m + g\nu = lr * m"),
        ["momentum"]
    );
    let adamw = "state m = zeros_like(w)
        state v = zeros_like(w)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ^ 2
        u = lr * ((m / (1 - b1 ^ step)) / (sqrt(v / (1 - b2 ^ step)) + eps) + wd * w)";
    assert_eq!(of(adamw), ["momentum", "adaptive", "decay"]);
    let lion = "state m = zeros_like(w)
        u = lr * (sign(b1 * m + (1 - b1) * g) + wd * w)
        m = b2 * m + (1 - b2) * g";
    assert_eq!(of(lion), ["momentum", "sign", "decay"]);
    assert_eq!(of("u = lr * sign(g)"), ["sign"]);
    let rmsprop = "state v = zeros_like(w)
        v = decay * v + (1 - decay) * g * g
        u = lr * g / (sqrt(v) + eps)";
    assert_eq!(of(rmsprop), ["adaptive"]);
}

#[test]
fn traits_follow_lets_and_ignore_states_that_do_not_accumulate_the_gradient() {
    // Through a let.
    assert_eq!(
        of("state m = zeros_like(w)\nm = 0.9 * m + g\nlet d = sign(m)\nu = lr * d"),
        ["momentum", "sign"]
    );
    // A sign deep inside another call is not a sign-based update.
    assert_eq!(of("u = lr * clip(g, -1, sign(g))"), Vec::<&str>::new());
    assert_eq!(of("u = lr * (sign(g) / 2 + 0.1 * w)"), ["sign", "decay"]);
    // A state that does not read itself is not an accumulator.
    assert_eq!(
        of("state m = zeros_like(w)\nm = g\nu = lr * m"),
        Vec::<&str>::new()
    );
    // A state that accumulates w, not g.
    assert_eq!(
        of("state m = zeros_like(w)\nm = 0.9 * m + w\nu = lr * (g + m)"),
        ["decay"]
    );
    // Division by a linear average of g is not adaptive.
    assert_eq!(
        of("state m = zeros_like(w)\nm = 0.9 * m + g\nu = lr * g / (abs(m) + 1)"),
        ["momentum"]
    );
}
