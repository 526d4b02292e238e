//===- GpuSpmmTest.cpp - Generated GPU sparse products, without a GPU ----===//
//
// The GPU sparse products, baked weights and CSR data, over sparsity {0, 0.5, 0.9, 0.99, 1},
// sizes that are not multiples of a block or a row group, and every epilogue: (1) their
// host-emulation flavor, compiled for this CPU, against a double-precision reference; (2) their
// device flavor through LLVM's NVPTX backend and ptxas for sm_80 and sm_90: it must assemble,
// without spills, within the register budget of its designed occupancy. (2) prints a SKIP line
// where ptxas is not installed.
//
//===----------------------------------------------------------------------===//
#include "backends/common/sparse/SparseLayer.h"
#include "backends/ptx/BakedSpmmEmitter.h"
#include "backends/ptx/CsrSpmmEmitter.h"
#include "backends/ptx/PtxEmitter.h"
#include "backends/ptx/Ptxas.h"
#include "backends/x86/KernelJit.h"
#include "compiler/support/Error.h"
#include "tests/backend/SparseTestData.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <iostream>
#include <random>
#include <tuple>

using namespace spcc;
using namespace spcc::ptx;
using namespace spcc::test;

namespace {

x86::KernelJit &jit() {
  static std::unique_ptr<x86::KernelJit> instance = [] {
    auto created = x86::KernelJit::create();
    if (!created) FAIL(takeMessage(created.takeError()));
    return std::move(*created);
  }();
  return *instance;
}

using EmulatedKernel = void (*)(void *const *params, int32_t gridX, int32_t gridY,
                                int32_t blockDimX);

/// The product kernels under test: baked, CSR with one position per thread, CSR with four,
/// dense (weights as data, zeros included).
enum class Style { Baked, Csr, CsrVector, Dense };

const char *styleName(Style style) {
  return style == Style::Baked       ? "baked"
         : style == Style::Csr       ? "CSR"
         : style == Style::CsrVector ? "CSR, 4 positions"
                                     : "dense";
}

/// Emits a product kernel of \p style (the CSR ones take \p tiling's threads per block).
llvm::Expected<GpuLaunchShape> emitProduct(llvm::Module &module, llvm::StringRef name,
                                           const SparseKernelSpec &spec,
                                           const BakedSpmmTiling &tiling, Style style,
                                           KernelFlavor flavor) {
  if (style == Style::Baked) return emitBakedSpmm(module, name, spec, tiling, flavor);
  CsrSpmmTiling csr;
  csr.threadsPerBlock = tiling.threadsPerBlock;
  csr.positionsPerThread = style == Style::CsrVector ? 4 : 1;
  if (style == Style::Dense) return emitDenseProduct(module, name, spec, csr, flavor);
  return emitCsrSpmm(module, name, spec, csr, flavor);
}

/// Runs \p spec's kernel in the host-emulation flavor over \p n positions.
std::vector<float> runEmulated(const SparseKernelSpec &spec, const BakedSpmmTiling &tiling,
                               Style style, const std::vector<float> &b,
                               const std::vector<float> &residual, int64_t n) {
  auto context = std::make_unique<llvm::LLVMContext>();
  auto module = std::make_unique<llvm::Module>("gpu-spmm", *context);
  std::string name = jit().uniqueName("gpu_spmm_");
  auto launch = emitProduct(*module, name, spec, tiling, style, KernelFlavor::HostEmulation);
  if (!launch) FAIL(takeMessage(launch.takeError()));
  auto address = jit().load(std::move(module), {"x86-64-v3", "", "x86-64-v3"}, name);
  if (!address) FAIL(takeMessage(address.takeError()));
  // NaN everywhere first: every element must be written.
  std::vector<float> c(size_t(spec.weights.getRows() * spec.ldc), NAN);
  int64_t perBlock = int64_t(launch->threadsPerBlock) * launch->positionsPerThread;
  int64_t gridX = (n + perBlock - 1) / perBlock;
  // The parameters as cuLaunchKernel takes them: one pointer to each value.
  const float *bData = b.data(), *residualData = residual.empty() ? nullptr : residual.data();
  float *cData = c.data();
  int32_t positions = int32_t(n);
  void *const params[] = {&bData, &cData, &residualData, &positions};
  reinterpret_cast<EmulatedKernel>(*address)(params, int32_t(gridX), int32_t(launch->gridY),
                                             int32_t(launch->threadsPerBlock));
  return c;
}

} // namespace

TEST_CASE("GPU baked and CSR SpMM: the host emulation matches the reference", "[gpu]") {
  std::mt19937 random(21);
  const FusedActivation activations[] = {{},
                                         {FusedActivation::Kind::Relu},
                                         {FusedActivation::Kind::Gelu},
                                         {FusedActivation::Kind::Clip, -0.5f, 0.5f}};
  int variant = 0;
  for (double sparsity : {0.0, 0.5, 0.9, 0.99, 1.0})
    for (auto [m, k, n] : {std::tuple<int64_t, int64_t, int64_t>{37, 50, 1},
                           {64, 96, 130},
                           {5, 300, 33},
                           {1, 7, 129},
                           {24, 40, 132},
                           {9, 33, 4}})
      for (BakedSpmmTiling tiling :
           {BakedSpmmTiling{1, 32}, BakedSpmmTiling{8, 128}, BakedSpmmTiling{32, 64}}) {
        ++variant;
        Tensor weights = randomWeights({m, k}, sparsity, random);
        SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), n);
        SparseEpilogue &epilogue = layer.spec.epilogue;
        if (variant % 2) epilogue.bias = randomVector(m, random);
        epilogue.residual = variant % 3 == 0;
        epilogue.activation = activations[variant % 4];
        // Every fifth product reads B's rows in reverse: offsets that are not j * n, which the
        // CSR kernel keeps as 32-bit offsets rather than 16-bit column indices.
        bool reversed = variant % 5 == 0;
        if (reversed)
          for (int64_t p = 0; p < k; ++p) layer.spec.bRowOffsets[size_t(p)] = (k - 1 - p) * n;
        std::vector<float> b = randomVector(k * n, random);
        std::vector<float> residual;
        if (epilogue.residual) residual = randomVector(m * n, random);

        // CSR: its tiling's threads per block; the rows are the grid's y.
        Style style = variant % 2 ? Style::Baked : Style::Csr;
        if (style == Style::Csr && variant % 4 == 0 &&
            csrVectorPositions(layer.spec, GpuProductLayout{}, true) == 4)
          style = Style::CsrVector;
        else if (style == Style::Csr && variant % 3 == 1 && denseProductApplies(layer.spec))
          style = Style::Dense;
        if (reversed) CHECK(!csrNarrowColumns(layer.spec));
        std::vector<float> actual = runEmulated(layer.spec, tiling, style, b, residual, n);
        const float *w = weights.getData<float>().data();
        for (int64_t i = 0; i < m; ++i)
          for (int64_t j = 0; j < n; ++j) {
            double sum = epilogue.bias.empty() ? 0.0 : epilogue.bias[size_t(i)];
            double magnitude = std::abs(sum);
            for (int64_t p = 0; p < k; ++p) {
              float bValue = b[size_t((reversed ? k - 1 - p : p) * n + j)];
              sum += double(w[i * k + p]) * bValue;
              magnitude += std::abs(double(w[i * k + p]) * bValue);
            }
            if (epilogue.residual) sum += residual[size_t(i * n + j)];
            double expected = activate(epilogue.activation, sum);
            INFO(styleName(style) << ", sparsity " << sparsity << ", " << m << "x" << k << "x" << n
                                  << (reversed ? ", B rows reversed" : "") << ", rows/group "
                                  << tiling.rowsPerGroup << ", threads " << tiling.threadsPerBlock
                                  << ", element (" << i << ", " << j << ")");
            REQUIRE(std::abs(actual[size_t(i * n + j)] - expected) <= 1e-5 * (1 + magnitude));
          }
      }
}

TEST_CASE("GPU baked and CSR SpMM: the PTX assembles with ptxas for sm_80 and sm_90, without "
          "spills",
          "[gpu]") {
  std::optional<std::string> ptxas = findPtxas();
  if (!ptxas) {
    std::cout << "SKIP: ptxas not found (set CUDA_HOME): the PTX was not assembled\n";
    WARN("SKIP: ptxas not found (set CUDA_HOME): the PTX was not assembled");
    return;
  }
  std::mt19937 random(5);
  for (llvm::StringRef archName : {"sm_80", "sm_90"}) {
    auto arch = selectGpuArch(archName);
    REQUIRE(bool(arch));
    auto machine = createNvptxTargetMachine(*arch);
    if (!machine) FAIL(takeMessage(machine.takeError()));
    for (double sparsity : {0.0, 0.9, 0.99, 1.0})
      for (auto [tiling, style] : {std::pair{BakedSpmmTiling{8, 128}, Style::Baked},
                                   std::pair{BakedSpmmTiling{32, 256}, Style::Baked},
                                   std::pair{BakedSpmmTiling{1, 128}, Style::Csr},
                                   std::pair{BakedSpmmTiling{1, 128}, Style::CsrVector},
                                   std::pair{BakedSpmmTiling{1, 128}, Style::Dense}}) {
        Tensor weights = randomWeights({96, 256}, sparsity, random);
        SparseLayer layer = planMatrixProduct(SparseTensor::fromDense(weights), 512);
        layer.spec.epilogue.bias = randomVector(96, random);
        layer.spec.epilogue.residual = true;
        layer.spec.epilogue.activation = {FusedActivation::Kind::Gelu};
        llvm::LLVMContext context;
        llvm::Module module("gpu-spmm", context);
        auto launch = emitProduct(module, "spmm", layer.spec, tiling, style, KernelFlavor::Device);
        REQUIRE(bool(launch));
        auto ptx = emitPtx(module, **machine);
        if (!ptx) FAIL(takeMessage(ptx.takeError()));
        INFO(archName.str() << ", " << styleName(style) << ", sparsity " << sparsity
                            << ", rows/group " << tiling.rowsPerGroup);
        CHECK(llvm::StringRef(*ptx).contains(".entry spmm"));
        CHECK(llvm::StringRef(*ptx).contains(".maxntid " + std::to_string(tiling.threadsPerBlock)));
        if (sparsity < 1.0)
          CHECK(llvm::StringRef(*ptx).contains(style == Style::CsrVector ? "ld.global.nc.v4.f32"
                                                                         : "ld.global.nc.f32"));
        auto assembled = assemblePtx(*ptxas, *ptx, *arch);
        if (!assembled) FAIL(takeMessage(assembled.takeError()));
        REQUIRE(assembled->kernels.count("spmm") == 1);
        const PtxasKernelInfo &info = assembled->kernels.at("spmm");
        INFO(assembled->log);
        CHECK(info.spillStoreBytes == 0);
        CHECK(info.spillLoadBytes == 0);
        // Designed for half occupancy (kHalfOccupancyThreads): 64 of the SM's 64K registers.
        CHECK(info.registers > 0);
        CHECK(info.registers <= 64);
        CHECK(!assembled->cubin.empty());
      }
  }
}

TEST_CASE("ptxas -v output is parsed per kernel", "[gpu]") {
  auto kernels =
      parsePtxasLog("ptxas info    : 0 bytes gmem\n"
                    "ptxas info    : Compiling entry function 'spmm_a' for 'sm_90'\n"
                    "ptxas info    : Function properties for spmm_a\n"
                    "    8 bytes stack frame, 12 bytes spill stores, 16 bytes spill loads\n"
                    "ptxas info    : Used 40 registers, used 0 barriers, 380 bytes cmem[0]\n"
                    "ptxas info    : Compiling entry function 'spmm_b' for 'sm_90'\n"
                    "ptxas info    : Function properties for spmm_b\n"
                    "    0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
                    "ptxas info    : Used 7 registers, used 0 barriers, 380 bytes cmem[0]\n");
  REQUIRE(kernels.size() == 2);
  CHECK(kernels["spmm_a"].registers == 40);
  CHECK(kernels["spmm_a"].spillStoreBytes == 12);
  CHECK(kernels["spmm_a"].spillLoadBytes == 16);
  CHECK(kernels["spmm_a"].stackFrameBytes == 8);
  CHECK(kernels["spmm_b"].registers == 7);
  CHECK(kernels["spmm_b"].spillStoreBytes == 0);
}
