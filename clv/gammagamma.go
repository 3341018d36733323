package clv

import (
	"math"

	"github.com/ritorno/ritorno"
)

// GammaGamma is a fitted Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee
// 2005, "RFM and CLV"; Colombo & Jiang 1999): each purchase of a customer is
// Gamma(P, ν) (shape, rate), and ν ~ Gamma(Q, Gamma) across customers. Spend is in the
// summaries' unit (minor units from Summarize), and so is Gamma.
type GammaGamma struct {
	P             float64            `json:"p"`
	Q             float64            `json:"q"`
	Gamma         float64            `json:"gamma"`
	LogLikelihood float64            `json:"log_likelihood"`    // the sum over the customers fitted
	StdErr        map[string]float64 `json:"std_err,omitempty"` // as in BGNBD
	AtBoundary    []string           `json:"at_boundary,omitempty"`
	Iterations    int                `json:"iterations"`
	Customers     int                `json:"customers"` // repeat customers with positive spend, the ones fitted
}

// FitGammaGamma fits the Gamma-Gamma model by maximum likelihood to the customers with
// repeat purchases and a positive Monetary value (others carry no information on spend
// per purchase: the first purchase is excluded, as in the literature). It gives
// ECONFLICT when there are too few of them, when the fit does not converge, and when the
// fitted q ≤ 1, where the model's mean spend is infinite and no CLV can be computed.
func FitGammaGamma(s []Summary, opt FitOptions) (GammaGamma, error) {
	if err := validate(s); err != nil {
		return GammaGamma{}, err
	}
	d := newGGData(s)
	if int(d.n) < opt.minRepeat() {
		return GammaGamma{}, errNotEnough("Gamma-Gamma", int(d.n), opt.minRepeat())
	}
	// Start at the exponential case p = 1 and q = 2, γ matching the mean spend (which is
	// 1 after rescaling): E[M] = pγ/(q−1).
	lk := likelihood{names: []string{"p", "q", "gamma"}, n: d.n, eval: d.eval}
	est, err := maximize(lk, []float64{1, 2, 1}, opt.Method)
	if err != nil {
		return GammaGamma{}, err
	}
	m := GammaGamma{
		P: est.theta[0], Q: est.theta[1], Gamma: est.theta[2] * d.scale,
		// Rescaling spend by c divides each customer's density by c.
		LogLikelihood: est.ll - d.n*math.Log(d.scale),
		StdErr:        est.stdErr,
		AtBoundary:    est.atBoundary,
		Iterations:    est.iterations,
		Customers:     int(d.n),
	}
	if se, ok := m.StdErr["gamma"]; ok {
		m.StdErr["gamma"] = se * d.scale
	}
	if !(m.Q > 1) {
		return GammaGamma{}, ritorno.Errorf(ritorno.ECONFLICT, "spend per purchase is too dispersed for the Gamma-Gamma model (q = %.3g ≤ 1: no finite mean)", m.Q)
	}
	return m, nil
}

// logLikelihood is the Gamma-Gamma log-likelihood of the model's parameters on the
// summaries' repeat customers with positive spend.
func (m GammaGamma) logLikelihood(s []Summary) float64 {
	d := newGGData(s)
	if d.n == 0 {
		return 0
	}
	return d.eval([]float64{m.P, m.Q, m.Gamma / d.scale}, nil) - d.n*math.Log(d.scale)
}

// ggData holds the repeat customers grouped for the Gamma-Gamma likelihood: per distinct
// frequency the terms that depend on it alone, the sums over customers of the terms
// linear in the parameters, and per distinct (x, m) the rest. Spend is divided by scale
// (the mean Monetary) so that γ is O(1) to the optimizer.
type ggData struct {
	scale, n    float64
	xs, wx, lnx []float64 // distinct frequencies, customer counts, ln x
	sumXlnM     float64   // Σ x ln m
	sumLnM      float64   // Σ ln m
	gx          []int32   // per group: index into xs
	gs, gw      []float64 // per group: x·m (the customer's total repeat spend) and count
}

func newGGData(s []Summary) *ggData {
	d := &ggData{}
	var total float64
	for _, c := range s {
		if c.Frequency > 0 && c.Monetary > 0 {
			total += c.Monetary
			d.n++
		}
	}
	if d.n == 0 {
		return d
	}
	d.scale = total / d.n
	type key struct {
		x int
		m float64
	}
	xIdx, gIdx := map[int]int32{}, map[key]int{}
	for _, c := range s {
		if c.Frequency <= 0 || !(c.Monetary > 0) {
			continue
		}
		x, m := float64(c.Frequency), c.Monetary/d.scale
		d.sumXlnM += x * math.Log(m)
		d.sumLnM += math.Log(m)
		ix, ok := xIdx[c.Frequency]
		if !ok {
			ix = int32(len(d.xs))
			xIdx[c.Frequency] = ix
			d.xs, d.wx, d.lnx = append(d.xs, x), append(d.wx, 0), append(d.lnx, math.Log(x))
		}
		d.wx[ix]++
		k := key{c.Frequency, m}
		if g, ok := gIdx[k]; ok {
			d.gw[g]++
			continue
		}
		gIdx[k] = len(d.gw)
		d.gx, d.gs, d.gw = append(d.gx, ix), append(d.gs, x*m), append(d.gw, 1)
	}
	return d
}

// eval is the Gamma-Gamma log-likelihood at theta = (p, q, γ) and its gradient. The mean
// m of x purchases is Gamma(px, xν), so per customer
//
//	ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(γ+mx).
func (d *ggData) eval(theta, grad []float64) float64 {
	p, q, gamma := theta[0], theta[1], theta[2]
	lnG := math.Log(gamma)
	lgq, psq := lnGamma(q), digamma(q)
	ll := p*d.sumXlnM - d.sumLnM
	gp, gq, gg := d.sumXlnM, 0.0, 0.0
	for i, x := range d.xs {
		w := d.wx[i]
		px := p * x
		ll += w * (lnGamma(px+q) - lnGamma(px) - lgq + q*lnG + px*d.lnx[i])
		ppq := digamma(px + q)
		gp += w * x * (ppq - digamma(px) + d.lnx[i])
		gq += w * (ppq - psq + lnG)
		gg += w * q / gamma
	}
	acc := sumChunks(len(d.gw), 4, func(lo, hi int, acc []float64) {
		var s0, s1, s2, s3 float64
		for g := lo; g < hi; g++ {
			x := d.xs[d.gx[g]]
			n, l, a := d.gw[g], math.Log(gamma+d.gs[g]), p*x+q
			s0 -= n * a * l
			s1 -= n * x * l
			s2 -= n * l
			s3 -= n * a / (gamma + d.gs[g])
		}
		acc[0], acc[1], acc[2], acc[3] = s0, s1, s2, s3
	})
	ll += acc[0]
	if grad != nil {
		grad[0], grad[1], grad[2] = gp+acc[1], gq+acc[2], gg+acc[3]
	}
	return ll
}

// ExpectedSpend is the expected spend per future purchase of the customer: the posterior
// mean p(γ + m·x)/(px + q − 1), a weighting of the customer's observed mean m and the
// population mean pγ/(q−1) (FHL 2005, "RFM and CLV", eq. 5). Customers without repeat
// purchases, or with no positive spend on them, get the population mean.
func (m GammaGamma) ExpectedSpend(s Summary) float64 {
	if s.Frequency <= 0 || !(s.Monetary > 0) {
		return m.P * m.Gamma / (m.Q - 1)
	}
	x := float64(s.Frequency)
	return m.P * (m.Gamma + s.Monetary*x) / (m.P*x + m.Q - 1)
}
