package clv

import (
	"math"
)

// The Gauss hypergeometric function ₂F₁(a, b; c; z) for real z < 1, which the BG/NBD
// conditional expectation needs. The plain power series converges for |z| < 1 but slowly
// near 1, where the argument of a long horizon lies; there the linear transformations to
// 1−z of Abramowitz & Stegun 15.3.6 (and 15.3.10–15.3.12 when c−a−b is an integer, where
// 15.3.6 has poles) take over. Negative z goes through Pfaff's transformation
// (A&S 15.3.5) to a positive argument so that no series alternates.

const (
	hypEps = 1e-16
	// hypTryTerms bounds the first, untransformed attempt; a series that has not
	// converged by then is near z = 1 and is better transformed.
	hypTryTerms = 4000
	// hypMaxTerms bounds any series (about 0.1 s); reaching it yields NaN rather than a
	// wrong value.
	hypMaxTerms = 20000000
	// hypIntTol decides when c−a−b counts as an integer for the logarithmic formulas.
	// Between it and hypNearInt, 15.3.6 cancels (losing up to log10(1/|d−m|) digits), so
	// the direct series is preferred there.
	hypIntTol  = 1e-9
	hypNearInt = 1e-3
)

// hyp2f1 returns ₂F₁(a, b; c; z) for z < 1, or NaN where it is undefined (c a non-positive
// integer that no terminating numerator parameter precedes, z ≥ 1) or where a series did
// not converge within its term budget.
func hyp2f1(a, b, c, z float64) float64 {
	switch {
	case math.IsNaN(a) || math.IsNaN(b) || math.IsNaN(c) || math.IsNaN(z) || z >= 1:
		return math.NaN()
	case z == 0 || a == 0 || b == 0:
		return 1
	}
	if isNonPosInt(c) && !(isNonPosInt(a) && a > c) && !(isNonPosInt(b) && b > c) {
		return math.NaN()
	}
	if isNonPosInt(a) || isNonPosInt(b) {
		// A polynomial: the series terminates, whatever z.
		s, _ := hypSeries(a, b, c, z, hypMaxTerms)
		return s
	}
	if z < 0 {
		// Pfaff: ₂F₁(a,b;c;z) = (1−z)^(−a) ₂F₁(a, c−b; c; z/(z−1)), with z/(z−1) in (0, 1).
		return math.Pow(1-z, -a) * hyp2f1(a, c-b, c, z/(z-1))
	}
	if s, ok := hypSeries(a, b, c, z, hypTryTerms); ok {
		return s
	}
	// The series in 1−z of the transformations are only as good as their terms are
	// small: with |ab|·(1−z) large they first grow by many orders of magnitude, and the
	// two halves of 15.3.6 cancel. There, and where c−a−b is within hypNearInt of an
	// integer without being one (15.3.6 cancels about log10(1/|c−a−b−m|) digits), the
	// direct series is summed to the end instead: it has no cancellation, only many
	// terms, about 40/(1−z).
	w := 1 - z
	d := c - a - b
	m := math.Round(d)
	illConditioned := math.Max(math.Abs(a*b), math.Abs((c-a)*(c-b)))*w > 1+math.Abs(d)
	nearInt := math.Abs(d-m) < hypNearInt && math.Abs(d-m) >= hypIntTol
	if illConditioned || nearInt {
		if s, ok := hypSeries(a, b, c, z, hypMaxTerms); ok {
			return s
		}
	}
	switch {
	case math.Abs(d-m) >= hypIntTol:
		return hypOneMinusZ(a, b, c, w)
	case m >= 0:
		return hypIntegerGap(a, b, int(m), w)
	default:
		// Euler: ₂F₁(a,b;c;z) = (1−z)^(c−a−b) ₂F₁(c−a, c−b; c; z), whose gap is −m > 0.
		return math.Pow(w, d) * hypIntegerGap(c-a, c-b, int(-m), w)
	}
}

// hypSeries sums the power series of ₂F₁(a, b; c; z) for 0 ≤ z < 1 (or any z when it
// terminates). ok is false when it did not converge within maxTerms terms. The stopping
// rule bounds the tail by a geometric series whose ratio is the larger of the current
// term ratio and z, the ratio's limit.
func hypSeries(a, b, c, z float64, maxTerms int) (sum float64, ok bool) {
	sum, term := 1.0, 1.0
	for k := 0.0; k < float64(maxTerms); k++ {
		ratio := (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		term *= ratio
		sum += term
		if term == 0 {
			return sum, true
		}
		if math.IsInf(sum, 0) || math.IsNaN(sum) {
			return math.NaN(), false
		}
		rho := math.Max(math.Abs((a+k+1)*(b+k+1)/((c+k+1)*(k+2))*z), math.Abs(z))
		if rho < 1 && math.Abs(term)*rho/(1-rho) <= hypEps*math.Abs(sum) {
			return sum, true
		}
	}
	return math.NaN(), false
}

// hypOneMinusZ is A&S 15.3.6 for c−a−b = d not an integer, with w = 1−z small:
//
//	₂F₁(a,b;c;z) = Γ(c)Γ(d)/(Γ(c−a)Γ(c−b)) ₂F₁(a, b; 1−d; w)
//	             + w^d Γ(c)Γ(−d)/(Γ(a)Γ(b)) ₂F₁(c−a, c−b; 1+d; w).
func hypOneMinusZ(a, b, c, w float64) float64 {
	d := c - a - b
	var t1, t2 float64
	if g := gammaRatio([]float64{c, d}, []float64{c - a, c - b}); g != 0 {
		s, _ := hypSeries(a, b, 1-d, w, hypMaxTerms)
		t1 = g * s
	}
	if g := gammaRatio([]float64{c, -d}, []float64{a, b}); g != 0 {
		s, _ := hypSeries(c-a, c-b, 1+d, w, hypMaxTerms)
		t2 = math.Pow(w, d) * g * s
	}
	return t1 + t2
}

// hypIntegerGap is A&S 15.3.10 (m = 0) and 15.3.11 (m ≥ 1) for c = a+b+m, w = 1−z:
//
//	₂F₁ = Γ(m)Γ(c)/(Γ(a+m)Γ(b+m)) Σ_{n<m} (a)_n(b)_n/(n!(1−m)_n) w^n
//	    − (−w)^m Γ(c)/(Γ(a)Γ(b)) Σ_n (a+m)_n(b+m)_n/(n!(n+m)!) w^n
//	        × [ln w − ψ(n+1) − ψ(n+m+1) + ψ(a+n+m) + ψ(b+n+m)].
func hypIntegerGap(a, b float64, m int, w float64) float64 {
	fm := float64(m)
	c := a + b + fm
	var finite float64
	if m > 0 {
		if g := gammaRatio([]float64{fm, c}, []float64{a + fm, b + fm}); g != 0 {
			sum, term := 1.0, 1.0
			for n := 0.0; n < fm-1; n++ {
				term *= (a + n) * (b + n) / ((n + 1) * (1 - fm + n)) * w
				sum += term
			}
			finite = g * sum
		}
	}
	g := gammaRatio([]float64{c}, []float64{a, b})
	if g == 0 {
		return finite
	}
	lw := math.Log(w)
	psi1 := digamma(1)                 // ψ(n+1)
	psim := digamma(fm + 1)            // ψ(n+m+1)
	psia := digamma(a + fm)            // ψ(a+n+m)
	psib := digamma(b + fm)            // ψ(b+n+m)
	term := math.Exp(-lnGamma(fm + 1)) // 1/m!
	var sum float64
	for n := 0.0; n < hypMaxTerms; n++ {
		add := term * (lw - psi1 - psim + psia + psib)
		sum += add
		if math.Abs(add) <= hypEps*math.Abs(sum) && math.Abs(term) <= hypEps*math.Abs(sum) && n > 2 {
			break
		}
		term *= (a + fm + n) * (b + fm + n) / ((n + 1) * (n + fm + 1)) * w
		psi1 += 1 / (n + 1)
		psim += 1 / (n + fm + 1)
		psia += 1 / (a + fm + n)
		psib += 1 / (b + fm + n)
	}
	return finite - math.Pow(-w, fm)*g*sum
}

// gammaRatio returns ΠΓ(num)/ΠΓ(den), computed through log-gamma so that large arguments
// do not overflow; a pole in the denominator makes the ratio 0 (1/Γ is entire).
func gammaRatio(num, den []float64) float64 {
	var lg float64
	sign := 1
	for _, x := range den {
		if isNonPosInt(x) {
			return 0
		}
		l, s := math.Lgamma(x)
		lg -= l
		sign *= s
	}
	for _, x := range num {
		l, s := math.Lgamma(x)
		lg += l
		sign *= s
	}
	return float64(sign) * math.Exp(lg)
}

func isNonPosInt(x float64) bool { return x <= 0 && x == math.Floor(x) }

// lnGamma is ln|Γ(x)|.
func lnGamma(x float64) float64 {
	l, _ := math.Lgamma(x)
	return l
}

// digamma is ψ(x) = d/dx ln Γ(x), to about 1e-15 relative (gonum's digamma is
// off by ~5e-11 near 1, which the logarithmic ₂F₁ formulas would inherit): recurrence up
// to x ≥ 10, then the asymptotic series; reflection for negative x.
func digamma(x float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsInf(x, -1) || isNonPosInt(x):
		return math.NaN()
	case math.IsInf(x, 1):
		return x
	case x < 0:
		// ψ(1−x) − ψ(x) = π cot(πx)
		return digamma(1-x) - math.Pi/math.Tan(math.Pi*x)
	}
	var acc float64
	for ; x < 10; x++ {
		acc -= 1 / x
	}
	inv := 1 / (x * x)
	// Σ B₂ₖ/(2k x^2k), k = 1…7, in Horner form
	series := inv * (1.0/12 - inv*(1.0/120-inv*(1.0/252-inv*(1.0/240-inv*(1.0/132-inv*(691.0/32760-inv/12))))))
	return acc + math.Log(x) - 0.5/x - series
}
