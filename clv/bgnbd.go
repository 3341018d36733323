package clv

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// BGNBD is a fitted BG/NBD model (Fader, Hardie & Lee 2005): while alive, a customer buys
// at a Poisson rate λ ~ Gamma(R, Alpha) (shape, rate; Alpha in the summaries' time unit),
// and after each repeat purchase drops out for good with probability p ~ Beta(A, B).
type BGNBD struct {
	R             float64 `json:"r"`
	Alpha         float64 `json:"alpha"`
	A             float64 `json:"a"`
	B             float64 `json:"b"`
	LogLikelihood float64 `json:"log_likelihood"` // the sum over customers
	// StdErr holds the standard errors that can be claimed, by parameter name (from the
	// observed information, delta method). A parameter at the boundary has none, nor one
	// that the data do not identify there (b, when a runs to 0).
	StdErr map[string]float64 `json:"std_err,omitempty"`
	// AtBoundary names the parameters that ran to the edge of the parameter space
	// (e.g. a → 0: almost nobody drops out); the others' standard errors hold them fixed.
	AtBoundary []string `json:"at_boundary,omitempty"`
	Iterations int      `json:"iterations"`
}

// FitBGNBD fits the BG/NBD model to summaries by maximum likelihood. Summaries must be as
// Summarize makes them (EINVALID otherwise); fewer repeat customers than the options'
// minimum, or data on which the fit does not converge, give ECONFLICT.
func FitBGNBD(s []Summary, opt FitOptions) (BGNBD, error) {
	if err := validate(s); err != nil {
		return BGNBD{}, err
	}
	var repeat int
	for _, c := range s {
		if c.Frequency > 0 {
			repeat++
		}
	}
	if repeat < opt.minRepeat() {
		return BGNBD{}, errNotEnough("BG/NBD", repeat, opt.minRepeat())
	}
	d := newBGData(s)
	var sumT float64
	for i, T := range d.zeroT {
		sumT += d.zeroW[i] * T
	}
	for g, w := range d.gw {
		sumT += w * d.uT[d.gT[g]]
	}
	// Start where the mean purchase rate r/α matches the data's.
	start := []float64{1, math.Max(sumT/d.sumX, 1e-3), 1, 1}
	lk := likelihood{names: []string{"r", "alpha", "a", "b"}, n: d.n, eval: d.eval}
	est, err := maximize(lk, start, opt.Method)
	if err != nil {
		return BGNBD{}, err
	}
	m := BGNBD{
		R: est.theta[0], Alpha: est.theta[1] * d.scale, A: est.theta[2], B: est.theta[3],
		// Rescaling times by c divides the density of the x purchase times by c^x.
		LogLikelihood: est.ll - d.sumX*math.Log(d.scale),
		StdErr:        est.stdErr,
		AtBoundary:    est.atBoundary,
		Iterations:    est.iterations,
	}
	if se, ok := m.StdErr["alpha"]; ok {
		m.StdErr["alpha"] = se * d.scale
	}
	return m, nil
}

// logLikelihood is the BG/NBD log-likelihood of the model's parameters on valid summaries.
func (m BGNBD) logLikelihood(s []Summary) float64 {
	d := newBGData(s)
	return d.eval([]float64{m.R, m.Alpha / d.scale, m.A, m.B}, nil) - d.sumX*math.Log(d.scale)
}

// bgData holds summaries grouped for the BG/NBD likelihood: the terms that depend on the
// frequency alone are summed per distinct frequency, customers without repeat purchases
// per distinct T, and the rest per distinct (x, t_x, T), each with its count as weight.
// Times are divided by scale (a tenth of the largest T) so that alpha is O(1) to the
// optimizer.
type bgData struct {
	scale, n, sumX float64
	xs, wx         []float64 // distinct frequencies and their customer counts
	zeroT, zeroW   []float64 // customers without repeat purchases: distinct T and counts
	uT, uTx        []float64 // distinct T and t_x among repeat customers
	gx, gT, gTx    []int32   // per group of repeat customers: indexes into xs, uT, uTx
	gw             []float64 // customers per group
	// buffers of eval, which therefore must not run concurrently with itself
	lT, iT, lTx, iTx, lbx, ibx []float64
}

func newBGData(s []Summary) *bgData {
	var maxT float64
	for _, c := range s {
		maxT = math.Max(maxT, c.T)
	}
	d := &bgData{scale: 1}
	if maxT > 0 {
		d.scale = maxT / 10
	}
	// Indexes are handed out in order of first appearance, and groups and distinct times
	// in sorted order, so the sums, and the fit, do not depend on map iteration order.
	xIdx, zIdx := map[int]int32{}, map[float64]int{}
	var repeat []int32 // indexes into s of the repeat customers
	for i, c := range s {
		ix, ok := xIdx[c.Frequency]
		if !ok {
			ix = int32(len(d.xs))
			xIdx[c.Frequency] = ix
			d.xs = append(d.xs, float64(c.Frequency))
			d.wx = append(d.wx, 0)
		}
		d.wx[ix]++
		d.n++
		d.sumX += float64(c.Frequency)
		if c.Frequency > 0 {
			repeat = append(repeat, int32(i))
			continue
		}
		T := c.T / d.scale
		iz, ok := zIdx[T]
		if !ok {
			iz = len(d.zeroT)
			zIdx[T] = iz
			d.zeroT = append(d.zeroT, T)
			d.zeroW = append(d.zeroW, 0)
		}
		d.zeroW[iz]++
	}
	// Identical (x, t_x, T) are adjacent once sorted; sorting beats a map here, since
	// with continuous times nearly every triple is distinct.
	slices.SortFunc(repeat, func(i, j int32) int {
		a, b := &s[i], &s[j]
		return cmp.Or(cmp.Compare(a.Frequency, b.Frequency), cmp.Compare(a.Recency, b.Recency), cmp.Compare(a.T, b.T))
	})
	var gT, gTx []float64
	for n, i := range repeat {
		c := &s[i]
		if n > 0 {
			p := &s[repeat[n-1]]
			if p.Frequency == c.Frequency && p.Recency == c.Recency && p.T == c.T {
				d.gw[len(d.gw)-1]++
				continue
			}
		}
		d.gx, d.gw = append(d.gx, xIdx[c.Frequency]), append(d.gw, 1)
		gT, gTx = append(gT, c.T/d.scale), append(gTx, c.Recency/d.scale)
	}
	d.uT, d.gT = distinct(gT)
	d.uTx, d.gTx = distinct(gTx)
	return d
}

// distinct returns the sorted distinct values of vs and, for each v, the index of its
// value among them. Sorting beats a map here: with continuous times nearly every value is
// distinct.
func distinct(vs []float64) (values []float64, index []int32) {
	order := make([]int32, len(vs))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(i, j int32) int { return cmp.Compare(vs[i], vs[j]) })
	index = make([]int32, len(vs))
	for n, i := range order {
		if n == 0 || vs[i] != values[len(values)-1] {
			values = append(values, vs[i])
		}
		index[i] = int32(len(values) - 1)
	}
	return values, index
}

// eval is the BG/NBD log-likelihood of the grouped data at theta = (r, α, a, b) and its
// gradient. Per customer (FHL 2005, eq. 6):
//
//	ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
//	     + ln[ (α+T)^−(r+x) + δ(x>0) a/(b+x−1) (α+t_x)^−(r+x) ],
//
// the last term by log-sum-exp so that neither power underflows.
func (d *bgData) eval(theta, grad []float64) float64 {
	r, alpha, a, b := theta[0], theta[1], theta[2], theta[3]
	lnAlpha, lnA := math.Log(alpha), math.Log(a)
	var ll, gr, gal, ga, gb float64

	lgr, lgb, lgab := lnGamma(r), lnGamma(b), lnGamma(a+b)
	psr, psb, psab := digamma(r), digamma(b), digamma(a+b)
	d.lbx, d.ibx = resize(d.lbx, len(d.xs)), resize(d.ibx, len(d.xs))
	for i, x := range d.xs {
		w := d.wx[i]
		ll += w * (lnGamma(r+x) - lgr + r*lnAlpha + lgab + lnGamma(b+x) - lgb - lnGamma(a+b+x))
		gr += w * (digamma(r+x) - psr + lnAlpha)
		gal += w * r / alpha
		psabx := digamma(a + b + x)
		ga += w * (psab - psabx)
		gb += w * (psab + digamma(b+x) - psb - psabx)
		if x > 0 {
			d.lbx[i], d.ibx[i] = math.Log(b+x-1), 1/(b+x-1)
		}
	}
	for i, T := range d.zeroT {
		w, l := d.zeroW[i], math.Log(alpha+T)
		ll -= w * r * l
		gr -= w * l
		gal -= w * r / (alpha + T)
	}

	d.lT, d.iT = logsInv(d.lT, d.iT, d.uT, alpha)
	d.lTx, d.iTx = logsInv(d.lTx, d.iTx, d.uTx, alpha)
	lT, iT, lTx, iTx, lbx, ibx := d.lT, d.iT, d.lTx, d.iTx, d.lbx, d.ibx
	acc := sumChunks(len(d.gw), 5, func(lo, hi int, acc []float64) {
		var s0, s1, s2, s3, s4 float64
		for g := lo; g < hi; g++ {
			ix, it, itx := d.gx[g], d.gT[g], d.gTx[g]
			k := r + d.xs[ix]
			u := -k * lT[it]
			v := lnA - lbx[ix] - k*lTx[itx]
			// log-sum-exp; e ≤ 1, where Log(1+e) is as good as Log1p to the sum's
			// precision and several times faster (Log1p has no assembly).
			var l, w float64 // w: the weight of the dropped-out term
			if v > u {
				e := math.Exp(u - v)
				l, w = v+math.Log(1+e), 1/(1+e)
			} else {
				e := math.Exp(v - u)
				l, w = u+math.Log(1+e), e/(1+e)
			}
			n := d.gw[g]
			s0 += n * l
			s1 -= n * ((1-w)*lT[it] + w*lTx[itx])
			s2 -= n * k * ((1-w)*iT[it] + w*iTx[itx])
			s3 += n * w
			s4 += n * w * ibx[ix]
		}
		acc[0], acc[1], acc[2], acc[3], acc[4] = s0, s1, s2, s3, s4
	})
	ll += acc[0]
	if grad != nil {
		grad[0] = gr + acc[1]
		grad[1] = gal + acc[2]
		grad[2] = ga + acc[3]/a
		grad[3] = gb - acc[4]
	}
	return ll
}

// logsInv fills ln(α+t) and 1/(α+t) for each t of ts.
func logsInv(l, inv, ts []float64, alpha float64) ([]float64, []float64) {
	l, inv = resize(l, len(ts)), resize(inv, len(ts))
	sumChunks(len(ts), 0, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			l[i], inv[i] = math.Log(alpha+ts[i]), 1/(alpha+ts[i])
		}
	})
	return l, inv
}

// PAlive is the probability that the customer has not dropped out by the end of the
// calibration period (FHL 2005, eq. 11 in the note "Computing P(alive)"):
//
//	1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x)).
//
// In BG/NBD dropout happens only right after a repeat purchase, so a customer without
// one is alive with probability 1.
func (m BGNBD) PAlive(s Summary) float64 {
	if s.Frequency == 0 {
		return 1
	}
	x := float64(s.Frequency)
	lr := math.Log(m.A) - math.Log(m.B+x-1) + (m.R+x)*(math.Log(m.Alpha+s.T)-math.Log(m.Alpha+s.Recency))
	return 1 / (1 + math.Exp(lr))
}

// ExpectedPurchases is the expected number of purchases in the t time units after the end
// of the calibration period, given the customer's summary (FHL 2005, eq. 10):
//
//	(a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))] · P(alive).
//
// It is computed through Euler's transformation of ₂F₁, whose parameters then stay O(1)
// however many purchases the customer made, and with the 0/0 at a = 1 cancelled
// analytically.
func (m BGNBD) ExpectedPurchases(t float64, s Summary) float64 {
	if !(t > 0) {
		return 0
	}
	return m.conditional(t, float64(s.Frequency), s.T) * m.PAlive(s)
}

// ExpectedInPeriod is the expected number of repeat purchases of a new customer in the
// first t time units after the first purchase (FHL 2005, eq. 9): the conditional
// expectation of a customer observed for no time.
func (m BGNBD) ExpectedInPeriod(t float64) float64 {
	if !(t > 0) {
		return 0
	}
	return m.conditional(t, 0, 0)
}

// conditional is the expected number of purchases in (T, T+t] of a customer alive at T
// with x repeat purchases. With ε = a−1, C = a+b+x−1, z = t/(α+T+t), L = ln(1−z) and
// G = ₂F₁(a+b−1−r, ε; C; z) (Euler: (1−z)^(r+x) ₂F₁(r+x, b+x; C; z) = e^(εL) G), it is
//
//	C · [−expm1(εL) − e^(εL)(G−1)] / ε,
//
// where G−1 carries the factor ε: rounding in G costs about 1e-16·C/|ε| absolutely, so
// within 1e-5 of a = 1 the value is interpolated linearly between a = 1 ± 1e-5 instead
// (it is analytic in a; the interpolation errs by O(1e-10)). Rounding can leave a tiny
// negative value where the expectation is itself ~0; it is clamped to 0.
func (m BGNBD) conditional(t, x, T float64) float64 {
	const h = 1e-5
	eps := m.A - 1
	if math.Abs(eps) >= h {
		return max(m.conditionalEps(t, x, T, eps), 0)
	}
	lo, hi := m.conditionalEps(t, x, T, -h), m.conditionalEps(t, x, T, h)
	return max(lo+(eps+h)/(2*h)*(hi-lo), 0)
}

// conditionalEps is conditional with a = 1+eps, eps passed as is so that it is exact.
// When a > r+x+1, G grows like (1−z)^(r+x−a+1) towards z = 1 and can overflow while the
// product e^(εL)·G stays small; the untransformed ₂F₁(r+x, b+x; C; z) is bounded there
// (its c−a−b = a−1−r−x > 0), and ε > r+x keeps the division harmless, so that form is used.
func (m BGNBD) conditionalEps(t, x, T, eps float64) float64 {
	a := 1 + eps
	c := a + m.B + x - 1
	z := t / (m.Alpha + T + t)
	l := -math.Log1p(t / (m.Alpha + T))
	if eps > m.R+x {
		f := hyp2f1(m.R+x, m.B+x, c, z)
		return c * -math.Expm1((m.R+x)*l+math.Log(f)) / eps
	}
	g := hyp2f1(a+m.B-1-m.R, eps, c, z)
	return c * (-math.Expm1(eps*l) - math.Exp(eps*l)*(g-1)) / eps
}

// NextPurchaseMedian is the median time from the end of the calibration period to the
// customer's next purchase, given that the customer is still alive. Alive at T, the
// customer's rate is λ ~ Gamma(r+x, α+T) (dropout happens only at purchases, so alive
// customers do buy again), and the wait W is Lomax: P(W > w) = ((α+T)/(α+T+w))^(r+x),
// whose median is (α+T)(2^(1/(r+x)) − 1). The median is used because the mean,
// (α+T)/(r+x−1), is infinite when r+x ≤ 1, as it is for most one-time buyers. Combine with
// PAlive: a customer who has dropped out never buys again.
func (m BGNBD) NextPurchaseMedian(s Summary) float64 {
	return (m.Alpha + s.T) * math.Expm1(math.Ln2/(m.R+float64(s.Frequency)))
}

// NextOrderExpected is the date of NextPurchaseMedian after calibrationEnd, with the
// summaries' time unit. ok is false when that is more than 100 years away (a customer
// whose purchase rate is all but unknown), where no date is meaningful.
func (m BGNBD) NextOrderExpected(s Summary, calibrationEnd time.Time, unit TimeUnit) (next time.Time, ok bool) {
	days := m.NextPurchaseMedian(s) * float64(unit)
	if !(days <= 36525) {
		return time.Time{}, false
	}
	return calibrationEnd.Add(time.Duration(days * float64(24*time.Hour))), true
}
