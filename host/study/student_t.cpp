// Student-t quantiles for the confidence intervals over seeds, without a statistics library:
// the CDF through the regularised incomplete beta function (continued fraction, evaluated by the
// modified Lentz method), inverted by bisection, which is slow but needs no derivative and cannot
// leave its bracket; a study asks for a handful of quantiles.
#include <cmath>
#include <limits>

#include "amf/error.hpp"
#include "amf/harness/bootstrap.hpp"

namespace amf {
namespace {

// The continued fraction of I_x(a, b), converging for x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  const double tiny = 1e-300;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    // Even step, then odd step, of the fraction's terms.
    double num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + num * d;
    c = 1.0 + num / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    h *= d * c;
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + num * d;
    c = 1.0 + num / c;
    if (std::fabs(d) < tiny) d = tiny;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < 1e-15) return h;
  }
  return h;  // not reached for the arguments used here
}

// The regularised incomplete beta function I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
  return 1.0 - front * beta_fraction(b, a, 1.0 - x) / b;  // the symmetric form converges there
}

// P(T <= t) for Student's t with nu degrees of freedom.
double student_t_cdf(double t, double nu) {
  const double tail = 0.5 * incomplete_beta(nu / 2.0, 0.5, nu / (nu + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

}  // namespace

double student_t_quantile(double p, double dof) {
  if (!(p > 0 && p < 1)) throw InvalidArgument("student_t_quantile: p must be in (0, 1)");
  if (!(dof >= 1)) throw InvalidArgument("student_t_quantile: dof must be >= 1");
  if (p == 0.5) return 0;
  // Bracket: the t quantile grows without bound as p -> 0 or 1 (Cauchy at dof 1), so widen first.
  double lo = -1, hi = 1;
  while (student_t_cdf(lo, dof) > p) lo *= 2;
  while (student_t_cdf(hi, dof) < p) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-13 * std::max(1.0, std::fabs(lo)); ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, dof) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace amf
