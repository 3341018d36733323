package clv

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"

	"github.com/ritorno/ritorno"
)

// Method chooses the optimizer of a fit.
type Method int

// Optimizers. Both work over the logarithms of the parameters, which keeps them positive
// and lets a parameter run towards 0 (as BG/NBD's a does on some real data) without a
// constraint.
const (
	BFGS       Method = iota // quasi-Newton with the analytic gradient; the default
	NelderMead               // derivative-free simplex; slower, used to cross-check BFGS
)

// DefaultMinRepeatCustomers is the number of repeat customers below which a fit is
// refused: with fewer, the four BG/NBD parameters (and the three Gamma-Gamma ones, which
// only repeat customers inform) are mostly noise, and the simple figures serve better.
const DefaultMinRepeatCustomers = 50

// FitOptions tunes a fit. The zero value is the product's setting.
type FitOptions struct {
	Method Method
	// MinRepeatCustomers refuses a fit with fewer repeat customers (ECONFLICT);
	// 0 means DefaultMinRepeatCustomers.
	MinRepeatCustomers int
}

func (o FitOptions) minRepeat() int {
	if o.MinRepeatCustomers > 0 {
		return o.MinRepeatCustomers
	}
	return DefaultMinRepeatCustomers
}

const (
	// logBound caps |log θ| smoothly (log θ = logBound·tanh(u/logBound) over the free
	// variable u), so that a parameter running to a boundary slows down and stops there
	// instead of overflowing, and the optimizer stays unconstrained.
	logBound = 25.0
	// A parameter (of the rescaled problem, where times and spend are O(1)) beyond these
	// is reported at the boundary of the parameter space, with no standard error: below
	// 1e-4 a shape parameter puts all but a negligible share of customers at the limit
	// (a → 0: nobody drops out), and the likelihood no longer tells the values apart, so
	// optimizers stop anywhere down there (BFGS and Nelder-Mead stop at different ones).
	boundaryLow  = 1e-4
	boundaryHigh = 1e6
	// hessStep is the finite-difference step, in log space, of the Hessian.
	hessStep = 1e-4
	// maxNewtonStep is the largest remaining Newton step, in standard errors, that a fit
	// may end with: beyond it the optimizer has not converged for statistical purposes.
	maxNewtonStep = 0.01
	// maxMeanGrad is the largest per-customer gradient in log space accepted where the
	// Newton step is undefined (no parameter is identified).
	maxMeanGrad = 1e-6
	// BFGS results are polished by up to maxPolish Newton steps until the step is below
	// polishedStep standard errors.
	polishedStep = 1e-7
	maxPolish    = 3
)

// likelihood is a log-likelihood over positive parameters.
type likelihood struct {
	names []string
	n     float64 // customers; the optimizer sees the mean so that its tolerances do not depend on n
	// eval returns the log-likelihood (a sum over customers) at theta and, when grad is
	// non-nil, stores its gradient with respect to theta in grad.
	eval func(theta, grad []float64) float64
}

// estimate is a maximum of a likelihood.
type estimate struct {
	theta      []float64
	ll         float64
	stdErr     map[string]float64 // by name; only parameters inside the space with a definite Hessian
	atBoundary []string
	newtonStep float64 // √(gᵀI⁻¹g) at theta over the identified parameters: the distance to the optimum in standard errors
	iterations int
}

// maximize finds the maximum-likelihood estimate from start with the given method, and
// its standard errors from the Hessian in log space (the delta method turns them into
// standard errors of the parameters). A fit counts as converged when the remaining Newton
// step is below maxNewtonStep standard errors; BFGS results are polished by Newton steps
// first, Nelder-Mead results are left as the simplex found them, so that the two stay
// independent witnesses of the optimum.
func maximize(lk likelihood, start []float64, method Method) (estimate, error) {
	dim := len(start)
	u := make([]float64, dim)
	for i, th := range start {
		u[i] = logBound * math.Atanh(math.Log(th)/logBound)
	}

	// gonum asks for the value and the gradient at the same point in separate calls, and
	// one pass over the data computes both; the cache makes that pass happen once.
	theta, gnat := make([]float64, dim), make([]float64, dim)
	var cacheX, cacheG []float64
	var cacheF float64
	evalAt := func(x []float64) {
		if cacheX != nil && floats.Equal(x, cacheX) {
			return
		}
		cacheX = append(cacheX[:0], x...)
		cacheG = resize(cacheG, dim)
		for i, xi := range x {
			theta[i] = math.Exp(logBound * math.Tanh(xi/logBound))
		}
		ll := lk.eval(theta, gnat)
		if !finite(ll) {
			cacheF = math.Inf(1)
			clear(cacheG)
			return
		}
		cacheF = -ll / lk.n
		for i, xi := range x {
			t := math.Tanh(xi / logBound)
			cacheG[i] = -gnat[i] * theta[i] * (1 - t*t) / lk.n
		}
	}
	problem := optimize.Problem{Func: func(x []float64) float64 { evalAt(x); return cacheF }}

	var iterations int
	switch method {
	case BFGS:
		problem.Grad = func(g, x []float64) { evalAt(x); copy(g, cacheG) }
		// The line search compares function values, whose rounding noise (a sum over up
		// to millions of customers) hides the decrease of a step once the gradient is
		// below ~1e-7 per customer; pushing on wastes dozens of evaluations and then fails.
		// BFGS stops earlier and Newton steps with the Hessian, which need no function
		// values, finish the job (see below).
		res, err := optimize.Minimize(problem, u, &optimize.Settings{
			GradientThreshold: 1e-6,
			Converger:         &optimize.FunctionConverge{Absolute: 1e-13, Iterations: 10},
			MajorIterations:   2000,
		}, &optimize.BFGS{})
		if res == nil {
			return estimate{}, ritorno.Errorf(ritorno.EINTERNAL, "optimizer: %v", err)
		}
		iterations += res.MajorIterations
		copy(u, res.X)
	case NelderMead:
		// Restarts with a fresh simplex undo its collapse along flat valleys (such as the
		// one a and b share when a runs to 0); stop when one no longer helps.
		prev := math.Inf(1)
		for round := range 12 {
			res, err := optimize.Minimize(problem, u, &optimize.Settings{
				Converger:       &optimize.FunctionConverge{Absolute: 1e-15, Iterations: 150},
				MajorIterations: 50000,
			}, &optimize.NelderMead{SimplexSize: math.Max(0.5/math.Pow(4, float64(round)), 0.01)})
			if res == nil {
				return estimate{}, ritorno.Errorf(ritorno.EINTERNAL, "optimizer: %v", err)
			}
			iterations += res.MajorIterations
			copy(u, res.X)
			if round >= 2 && prev-res.F < 1e-13 {
				break
			}
			prev = res.F
		}
	default:
		return estimate{}, ritorno.Errorf(ritorno.EINVALID, "unknown optimizer %d", method)
	}

	est := estimate{theta: make([]float64, dim), iterations: iterations}
	for i, ui := range u {
		est.theta[i] = math.Exp(logBound * math.Tanh(ui/logBound))
	}
	est.ll = lk.eval(est.theta, gnat)
	if !finite(est.ll) {
		return estimate{}, ritorno.Errorf(ritorno.ECONFLICT, "the model cannot be fitted to this data (likelihood not finite)")
	}
	var free []int
	for i, th := range est.theta {
		if !finite(th) {
			return estimate{}, ritorno.Errorf(ritorno.ECONFLICT, "the model cannot be fitted to this data (parameter not finite)")
		}
		if th < boundaryLow || th > boundaryHigh {
			est.atBoundary = append(est.atBoundary, lk.names[i])
			continue
		}
		free = append(free, i)
	}
	nt, ok := observedInformation(lk, est.theta, free).newton()
	if !ok {
		// Nothing identified: only the gradient can tell convergence.
		for _, i := range free {
			if g := math.Abs(gnat[i]*est.theta[i]) / lk.n; g > maxMeanGrad {
				return estimate{}, ritorno.Errorf(ritorno.ECONFLICT, "the model fit did not converge (gradient %.3g per customer)", g)
			}
		}
		return est, nil
	}
	step, length := nt.step(nt.g)
	if method == BFGS {
		// Newton steps in log space over the identified parameters, with the information
		// just computed; a step is kept when it brings the gradient closer to 0 (in the
		// information's metric), which function values are too noisy to judge here.
		g := make([]float64, dim)
		for polish := 0; polish < maxPolish && length > polishedStep; polish++ {
			next := slices.Clone(est.theta)
			for i, d := range step {
				next[i] = math.Exp(math.Log(next[i]) + d)
			}
			ll := lk.eval(next, g)
			for i := range g {
				g[i] *= next[i]
			}
			nextStep, nextLength := nt.step(g)
			if !finite(ll) || !(nextLength < length) {
				break
			}
			est.theta, est.ll, step, length = next, ll, nextStep, nextLength
		}
	}
	est.stdErr, est.newtonStep = nt.stdErr(lk.names, est.theta), length
	if est.newtonStep > maxNewtonStep {
		return estimate{}, ritorno.Errorf(ritorno.ECONFLICT, "the model fit did not converge (%.3g standard errors from the optimum)", est.newtonStep)
	}
	return est, nil
}

// information is the observed information at an estimate: the negative Hessian of the
// log-likelihood in log space, h[j][i] = −∂²LL/∂logθ_i∂logθ_j for free j, and the
// log-space gradient g.
type information struct {
	free []int
	h    [][]float64
	g    []float64
}

// observedInformation computes the information by central differences of the analytic
// gradient, in log space, over the free parameters.
func observedInformation(lk likelihood, theta []float64, free []int) information {
	gradLog := func(logTheta []float64) []float64 {
		th := make([]float64, len(logTheta))
		for i, l := range logTheta {
			th[i] = math.Exp(l)
		}
		g := make([]float64, len(th))
		lk.eval(th, g)
		for i := range g {
			g[i] *= th[i]
		}
		return g
	}
	logTheta := make([]float64, len(theta))
	for i, th := range theta {
		logTheta[i] = math.Log(th)
	}
	info := information{free: free, h: make([][]float64, len(theta)), g: gradLog(logTheta)}
	for _, j := range free {
		plus, minus := slices.Clone(logTheta), slices.Clone(logTheta)
		plus[j] += hessStep
		minus[j] -= hessStep
		gp, gm := gradLog(plus), gradLog(minus)
		info.h[j] = make([]float64, len(theta))
		for i := range theta {
			info.h[j][i] = -(gp[i] - gm[i]) / (2 * hessStep)
		}
	}
	return info
}

// newton is the inverse of the information over the identified parameters: the
// covariance of their log estimates, and the metric of Newton steps.
type newton struct {
	idx []int // identified parameters
	cov *mat.SymDense
	g   []float64 // the log-space gradient where the information was taken
}

// newton inverts the information over the free parameters, the others held at their
// boundary values. When the information is not positive definite, the parameter with the
// least information is taken as not identified (as BG/NBD's b is when a runs to 0:
// dropout then never happens, whatever b) and left without a standard error, and the rest
// are tried again; ok is false when no parameter is identified.
func (info information) newton() (nt newton, ok bool) {
	free := slices.Clone(info.free)
	for len(free) > 0 {
		k := len(free)
		m := mat.NewSymDense(k, nil)
		for a, i := range free {
			for b, j := range free[a:] {
				m.SetSym(a, a+b, (info.h[i][j]+info.h[j][i])/2)
			}
		}
		var chol mat.Cholesky
		cov := new(mat.SymDense)
		if chol.Factorize(m) && chol.InverseTo(cov) == nil {
			return newton{idx: free, cov: cov, g: info.g}, true
		}
		least := 0
		for a, i := range free {
			if info.h[i][i] < info.h[free[least]][free[least]] {
				least = a
			}
		}
		free = slices.Delete(free, least, least+1)
	}
	return newton{}, false
}

// step is the Newton step I⁻¹g in log space for the log-space gradient g (0 for the
// parameters not identified), and its length √(gᵀI⁻¹g): how far the point is from the
// optimum, in standard errors.
func (nt newton) step(g []float64) (step []float64, length float64) {
	gv := mat.NewVecDense(len(nt.idx), nil)
	for a, i := range nt.idx {
		gv.SetVec(a, g[i])
	}
	var d mat.VecDense
	d.MulVec(nt.cov, gv)
	step = make([]float64, len(g))
	for a, i := range nt.idx {
		step[i] = d.AtVec(a)
	}
	return step, math.Sqrt(math.Max(mat.Dot(gv, &d), 0))
}

// stdErr converts the covariance of the log estimates by the delta method:
// se(θ) = θ·se(log θ).
func (nt newton) stdErr(names []string, theta []float64) map[string]float64 {
	se := make(map[string]float64, len(nt.idx))
	for a, i := range nt.idx {
		if v := nt.cov.At(a, a); v > 0 && finite(v) {
			se[names[i]] = theta[i] * math.Sqrt(v)
		}
	}
	return se
}

func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// errNotEnough is the refusal of a fit that the data cannot support; the product falls
// back to the simple figures on it.
func errNotEnough(model string, have, need int) error {
	return ritorno.Errorf(ritorno.ECONFLICT, "not enough repeat customers to fit the %s model (%d, need %d)", model, have, need)
}

// sumChunks runs fn over [0, n) in contiguous chunks, on up to GOMAXPROCS goroutines when
// n is large, and adds up the k accumulators each chunk fills, in chunk order.
func sumChunks(n, k int, fn func(lo, hi int, acc []float64)) []float64 {
	workers := runtime.GOMAXPROCS(0)
	if n < parallelMin || workers == 1 {
		acc := make([]float64, k)
		fn(0, n, acc)
		return acc
	}
	accs := make([][]float64, workers)
	var wg sync.WaitGroup
	for c := range workers {
		lo, hi := n*c/workers, n*(c+1)/workers
		accs[c] = make([]float64, k)
		wg.Go(func() { fn(lo, hi, accs[c]) })
	}
	wg.Wait()
	total := make([]float64, k)
	for _, acc := range accs {
		for i, v := range acc {
			total[i] += v
		}
	}
	return total
}

// parallelMin is the work size below which goroutines cost more than they save.
const parallelMin = 1 << 14
