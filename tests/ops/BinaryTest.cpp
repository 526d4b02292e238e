#include "tests/ops/OpTestUtil.h"

#include <cmath>
#include <limits>

using namespace spcc;
using namespace spcc::test;

using Dims = llvm::SmallVector<int64_t, 4>;

namespace {

/// Reference broadcasting written independently of OpHelpers: for output element \p flat of
/// \p outDims, the flat index into an input of \p inDims (aligned to the right).
int64_t sourceIndex(llvm::ArrayRef<int64_t> outDims, llvm::ArrayRef<int64_t> inDims, int64_t flat) {
  int64_t index = 0, stride = 1;
  for (int64_t axis = int64_t(outDims.size()) - 1; axis >= 0; --axis) {
    int64_t coord = flat % outDims[size_t(axis)];
    flat /= outDims[size_t(axis)];
    int64_t inAxis = axis - int64_t(outDims.size() - inDims.size());
    if (inAxis < 0) continue;
    int64_t dim = inDims[size_t(inAxis)];
    index += (dim == 1 ? 0 : coord) * stride;
    stride *= dim;
  }
  return index;
}

} // namespace

TEST_CASE("Add, Sub, Mul, Div on float with a broadcast row", "[ops][binary]") {
  Tensor a = Tensor::fromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::fromVector<float>({3}, {10, 20, 40});
  requireClose(runOpOrFail({"Add", {a, b}})[0],
               Tensor::fromVector<float>({2, 3}, {11, 22, 43, 14, 25, 46}));
  requireClose(runOpOrFail({"Sub", {a, b}})[0],
               Tensor::fromVector<float>({2, 3}, {-9, -18, -37, -6, -15, -34}));
  requireClose(runOpOrFail({"Mul", {b, a}})[0],
               Tensor::fromVector<float>({2, 3}, {10, 40, 120, 40, 100, 240}));
  requireClose(runOpOrFail({"Div", {a, b}})[0],
               Tensor::fromVector<float>({2, 3}, {0.1f, 0.1f, 0.075f, 0.4f, 0.25f, 0.15f}));
}

TEST_CASE("Binary broadcasting matches an independent reference", "[ops][binary]") {
  std::mt19937 rng(11);
  struct Case {
    Dims a, b, out;
  } cases[] = {
      {{2, 1, 3}, {4, 1}, {2, 4, 3}},
      {{1, 4, 1}, {3, 1, 5}, {3, 4, 5}},
      {{5}, {}, {5}},
      {{}, {2, 3}, {2, 3}},
      {{}, {}, {}},
      {{3, 1}, {1, 1, 4}, {1, 3, 4}},
      {{2, 3}, {2, 3}, {2, 3}},
      {{1}, {7}, {7}},
  };
  for (const Case &c : cases) {
    INFO(dimsToString(c.a) << " and " << dimsToString(c.b));
    Tensor a = randomTensor(c.a, rng), b = randomTensor(c.b, rng, 0.5f, 2);
    for (std::string op : {"Add", "Sub", "Mul", "Div"}) {
      INFO(op);
      Tensor out = runOpOrFail({op, {a, b}})[0];
      Tensor expected(TensorType(DType::Float32, c.out));
      auto dst = expected.getMutableData<float>();
      for (int64_t i = 0; i < int64_t(dst.size()); ++i) {
        float x = a.getData<float>()[size_t(sourceIndex(c.out, c.a, i))];
        float y = b.getData<float>()[size_t(sourceIndex(c.out, c.b, i))];
        dst[size_t(i)] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
      }
      requireClose(out, expected);
    }
  }
}

TEST_CASE("Binary ops on empty tensors give empty outputs", "[ops][binary]") {
  Tensor a(TensorType(DType::Float32, {0, 3}));
  Tensor b = Tensor::fromVector<float>({3}, {1, 2, 3});
  CHECK(runOpOrFail({"Add", {a, b}})[0].getType().str() == "f32[0,3]");
  Tensor one = Tensor::fromVector<float>({1}, {1});
  Tensor zero(TensorType(DType::Float32, {0}));
  CHECK(runOpOrFail({"Mul", {one, zero}})[0].getType().str() == "f32[0]");
}

TEST_CASE("Integer arithmetic on int64 and int32; Div truncates toward zero", "[ops][binary]") {
  Tensor a = Tensor::fromVector<int64_t>({4}, {7, -7, 7, -7});
  Tensor b = Tensor::fromVector<int64_t>({4}, {2, 2, -2, -2});
  CHECK(runOpOrFail({"Div", {a, b}})[0].toInts() == llvm::SmallVector<int64_t>{3, -3, -3, 3});
  CHECK(runOpOrFail({"Add", {a, b}})[0].toInts() == llvm::SmallVector<int64_t>{9, -5, 5, -9});
  CHECK(runOpOrFail({"Sub", {a, b}})[0].toInts() == llvm::SmallVector<int64_t>{5, -9, 9, -5});
  Tensor a32 = Tensor::fromVector<int32_t>({3}, {9, -9, 100});
  Tensor b32 = Tensor::scalar<int32_t>(4);
  Tensor q = runOpOrFail({"Div", {a32, b32}})[0];
  CHECK(q.getType().str() == "i32[3]");
  CHECK(q.toInts() == llvm::SmallVector<int64_t>{2, -2, 25});
  CHECK(runOpOrFail({"Mul", {a32, b32}})[0].toInts() == llvm::SmallVector<int64_t>{36, -36, 400});
  // Shape arithmetic: the last dim of a shape times -1 (wraps instead of overflowing).
  int64_t min = std::numeric_limits<int64_t>::min();
  Tensor m = Tensor::fromVector<int64_t>({2}, {min, 6});
  CHECK(runOpOrFail({"Div", {m, Tensor::scalar<int64_t>(-1)}})[0].toInts() ==
        llvm::SmallVector<int64_t>{min, -6});
}

TEST_CASE("Integer division by zero is an error, float gives inf", "[ops][binary]") {
  Tensor a = Tensor::fromVector<int64_t>({2}, {1, 2});
  Tensor b = Tensor::fromVector<int64_t>({2}, {1, 0});
  CHECK_THAT(runOpError({"Div", {a, b}}), Catch::Contains("division by zero"));
  Tensor out = runOpOrFail({"Div", {Tensor::scalar(1.0f), Tensor::scalar(0.0f)}})[0];
  CHECK(std::isinf(out.getAsDouble(0)));
}

TEST_CASE("Pow with float and int64 exponents", "[ops][binary]") {
  Tensor x = Tensor::fromVector<float>({2, 2}, {2, 3, 0.5f, 4});
  requireClose(runOpOrFail({"Pow", {x, Tensor::scalar(2.0f)}})[0],
               Tensor::fromVector<float>({2, 2}, {4, 9, 0.25f, 16}));
  requireClose(runOpOrFail({"Pow", {x, Tensor::fromVector<int64_t>({2}, {3, -1})}})[0],
               Tensor::fromVector<float>({2, 2}, {8, 1.0f / 3, 0.125f, 0.25f}));
  requireClose(runOpOrFail({"Pow", {x, Tensor::fromVector<float>({2, 1}, {0.5f, 0})}})[0],
               Tensor::fromVector<float>({2, 2}, {std::sqrt(2.0f), std::sqrt(3.0f), 1, 1}));
  CHECK_THAT(runOpError({"Pow", {Tensor::scalar<int64_t>(2), Tensor::scalar<int64_t>(3)}}),
             Catch::Contains("input 0 ('in0') has element type i64"));
}

TEST_CASE("Equal compares float, int64, int32 and bool into bool", "[ops][binary]") {
  Tensor f = runOpOrFail({"Equal",
                          {Tensor::fromVector<float>({3}, {1, NAN, 2}),
                           Tensor::fromVector<float>({3}, {1, NAN, 3})}})[0];
  CHECK(f.getType().str() == "bool[3]");
  CHECK(f.toInts() == llvm::SmallVector<int64_t>{1, 0, 0});
  Tensor i = runOpOrFail(
      {"Equal",
       {Tensor::fromVector<int64_t>({2, 2}, {1, 2, 3, 1}), Tensor::scalar<int64_t>(1)}})[0];
  CHECK(i.getType().str() == "bool[2,2]");
  CHECK(i.toInts() == llvm::SmallVector<int64_t>{1, 0, 0, 1});
  Tensor i32 = runOpOrFail(
      {"Equal",
       {Tensor::fromVector<int32_t>({2}, {5, 6}), Tensor::fromVector<int32_t>({2}, {6, 6})}})[0];
  CHECK(i32.toInts() == llvm::SmallVector<int64_t>{0, 1});
  Tensor b = runOpOrFail(
      {"Equal",
       {Tensor::fromBools({2}, {true, false}), Tensor::fromBools({2, 1}, {true, false})}})[0];
  CHECK(b.getType().str() == "bool[2,2]");
  CHECK(b.toInts() == llvm::SmallVector<int64_t>{1, 0, 0, 1});
}

TEST_CASE("Where broadcasts condition, X and Y three ways", "[ops][binary]") {
  Tensor cond = Tensor::fromBools({2, 1}, {true, false});
  Tensor x = Tensor::fromVector<float>({3}, {1, 2, 3});
  Tensor y = Tensor::scalar(-1.0f);
  requireClose(runOpOrFail({"Where", {cond, x, y}})[0],
               Tensor::fromVector<float>({2, 3}, {1, 2, 3, -1, -1, -1}));
  Tensor xi = Tensor::fromVector<int64_t>({1, 2}, {10, 20});
  Tensor yi = Tensor::fromVector<int64_t>({2, 1}, {7, 8});
  Tensor ci = Tensor::fromBools({2}, {false, true});
  Tensor out = runOpOrFail({"Where", {ci, xi, yi}})[0];
  CHECK(out.getType().str() == "i64[2,2]");
  CHECK(out.toInts() == llvm::SmallVector<int64_t>{7, 20, 8, 20});
}

TEST_CASE("Binary ops reject mismatched shapes and element types", "[ops][binary]") {
  Tensor f23 = Tensor::fromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor f4 = Tensor::fromVector<float>({4}, {1, 2, 3, 4});
  CHECK_THAT(runOpError({"Add", {f23, f4}}),
             Catch::Contains("shapes [2,3] and [4] do not broadcast"));
  Tensor i3 = Tensor::fromVector<int64_t>({3}, {1, 2, 3});
  CHECK_THAT(runOpError({"Mul", {f23, i3}}),
             Catch::Contains("different element types: 'in0' is f32, 'in1' is i64"));
  CHECK_THAT(runOpError({"Equal", {i3, Tensor::fromVector<int32_t>({3}, {1, 2, 3})}}),
             Catch::Contains("different element types"));
  Tensor bools = Tensor::fromBools({1}, {true});
  CHECK_THAT(runOpError({"Add", {bools, bools}}), Catch::Contains("element type bool"));
  CHECK_THAT(runOpError({"Where", {Tensor::scalar(1.0f), f23, f23}}),
             Catch::Contains("input 0 ('in0') has element type f32, expected one of bool"));
  CHECK_THAT(runOpError({"Where", {bools, f23, i3}}), Catch::Contains("different element types"));
  CHECK_THAT(runOpError({"Where", {Tensor::fromBools({2}, {true, false}), f4, f4}}),
             Catch::Contains("shapes [2], [4] and [4] do not broadcast"));
  CHECK_THAT(runOpError({"Where", {bools, f23, f4}}),
             Catch::Contains("shapes [1], [2,3] and [4] do not broadcast"));
}

TEST_CASE("Mod follows the divisor's sign with fmod 0 and the dividend's with fmod 1",
          "[ops][binary]") {
  Tensor a = Tensor::fromVector<int64_t>({4}, {7, -7, 7, -7});
  Tensor b = Tensor::fromVector<int64_t>({4}, {3, 3, -3, -3});
  CHECK(runOpOrFail({"Mod", {a, b}})[0].getData<int64_t>() ==
        llvm::ArrayRef<int64_t>({1, 2, -2, -1}));
  CHECK(runOpOrFail({"Mod", {a, b}, {{"fmod", int64_t(1)}}})[0].getData<int64_t>() ==
        llvm::ArrayRef<int64_t>({1, -1, 1, -1}));
  Tensor fa = Tensor::fromVector<float>({2}, {5.5f, -5.5f});
  Tensor fb = Tensor::fromVector<float>({2}, {2.0f, 2.0f});
  CHECK(runOpOrFail({"Mod", {fa, fb}, {{"fmod", int64_t(1)}}})[0].getData<float>() ==
        llvm::ArrayRef<float>({1.5f, -1.5f}));
  CHECK_THAT(runOpError({"Mod", {fa, fb}}), Catch::Contains("fmod = 0 is for integers"));
  CHECK_THAT(runOpError({"Mod", {a, Tensor::fromVector<int64_t>({4}, {3, 0, 1, 1})}}),
             Catch::Contains("integer modulo by zero"));
}

TEST_CASE("Max and Min propagate NaN; comparisons and logic give bool", "[ops][binary]") {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor a = Tensor::fromVector<float>({3}, {nan, 1.0f, 2.0f});
  Tensor b = Tensor::fromVector<float>({3}, {0.0f, nan, 3.0f});
  Tensor max = runOpOrFail({"Max", {a, b}})[0], min = runOpOrFail({"Min", {a, b}})[0];
  CHECK(std::isnan(max.getData<float>()[0]));
  CHECK(std::isnan(max.getData<float>()[1]));
  CHECK(max.getData<float>()[2] == 3.0f);
  CHECK(std::isnan(min.getData<float>()[1]));
  CHECK(min.getData<float>()[2] == 2.0f);
  Tensor greater = runOpOrFail({"GreaterOrEqual", {b, Tensor::scalar(2.0f)}})[0];
  CHECK(greater.getType() == TensorType(DType::Bool, {3}));
  CHECK(greater.getData<uint8_t>() == llvm::ArrayRef<uint8_t>({0, 0, 1}));
  Tensor t = Tensor::fromVector<uint8_t>({4}, {0, 0, 1, 1});
  Tensor u = Tensor::fromVector<uint8_t>({4}, {0, 1, 0, 1});
  t = Tensor(TensorType(DType::Bool, {4}), t.getBytes());
  u = Tensor(TensorType(DType::Bool, {4}), u.getBytes());
  CHECK(runOpOrFail({"Xor", {t, u}})[0].getData<uint8_t>() ==
        llvm::ArrayRef<uint8_t>({0, 1, 1, 0}));
  CHECK_THAT(runOpError({"PRelu",
                         {Tensor::fromVector<float>({2}, {1, 2}),
                          Tensor::fromVector<float>({3}, {1, 2, 3})}}),
             Catch::Contains("do not broadcast"));
}
