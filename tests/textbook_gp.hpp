#pragma once
// A GP written the textbook way, independently of amf's implementation: explicit kernel loops
// and a direct matrix inverse (small sizes only). Used as the float64 reference.
#include <Eigen/Dense>
#include <cmath>
#include <vector>

namespace amf_test {

using Mat = Eigen::MatrixXd;

struct TextbookGp {
  int ds;
  double ls_s, ls_c, sf2, noise;

  double k(const Eigen::VectorXd& a, const Eigen::VectorXd& b) const {
    double s = 0, c = 0;
    for (int i = 0; i < a.size(); ++i) (i < ds ? s : c) += (a(i) - b(i)) * (a(i) - b(i));
    return sf2 * std::exp(-s / (2 * ls_s * ls_s) - c / (2 * ls_c * ls_c));
  }
  Mat gram(const Mat& A, const Mat& B) const {  // rows are points
    Mat K(A.rows(), B.rows());
    for (int i = 0; i < A.rows(); ++i)
      for (int j = 0; j < B.rows(); ++j) K(i, j) = k(A.row(i).transpose(), B.row(j).transpose());
    return K;
  }
  // Posterior mean (rows of P x outputs) given noisy observations (X, Y).
  Mat mean(const Mat& X, const Mat& Y, const Mat& P) const {
    const Mat Kinv = (gram(X, X) + noise * Mat::Identity(X.rows(), X.rows())).inverse();
    return gram(P, X) * Kinv * Y;
  }
  // Latent posterior variance at the rows of P given noisy observations at X.
  Eigen::VectorXd variance(const Mat& X, const Mat& P) const {
    if (X.rows() == 0) return Eigen::VectorXd::Constant(P.rows(), sf2);
    const Mat Kinv = (gram(X, X) + noise * Mat::Identity(X.rows(), X.rows())).inverse();
    const Mat KPX = gram(P, X);
    Eigen::VectorXd v(P.rows());
    for (int i = 0; i < P.rows(); ++i) v(i) = sf2 - KPX.row(i).dot(Kinv * KPX.row(i).transpose());
    return v;
  }
};

inline Mat vstack(const Mat& A, const Mat& B) {
  Mat C(A.rows() + B.rows(), A.cols());
  C << A, B;
  return C;
}

}  // namespace amf_test
