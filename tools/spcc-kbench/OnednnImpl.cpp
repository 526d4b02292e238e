//===- OnednnImpl.cpp - oneDNN 2.6 dense primitives in spcc-kbench --------===//
//
// The dense baseline: A with its zeros, f32 primitives created in prepare(); run() executes
// them. variant() names the formulation and oneDNN's implementation.
//  - product "matmul": C[m,n] = A[m,k] * B[k,n], all plain row-major. (Making A the
//    primitive's prepacked weights needs C^T = B^T * A^T with a column-major dst, which
//    oneDNN 2.6 runs only in its reference implementation; the plain matmul already runs at
//    about the core's FMA peak.)
//  - convolution: two formulations, both timed, the faster kept: "conv-nchw", src and dst in
//    the caller's NCHW, weights in format any (reordered once); "conv-blocked", src and dst
//    in format any too, with the activation reorders (NCHW to oneDNN's layout and back)
//    inside run(). oneDNN's reference implementations ("ref:...") are dropped when another
//    formulation has an optimized one.
// Debian's oneDNN uses the OpenMP runtime: the thread count is set with omp_set_num_threads
// before creating and before executing the primitives.
//
//===----------------------------------------------------------------------===//
#include "tools/spcc-kbench/KernelImpl.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unordered_map>
#include <vector>

namespace spcc::kbench {
namespace {

using Tag = dnnl::memory::format_tag;
using Dims = dnnl::memory::dims;
constexpr auto F32 = dnnl::memory::data_type::f32;

/// Primitives executed in order by one run, with their arguments.
struct Plan {
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, dnnl::memory>>> steps;
  std::string description;
  std::string implementation; ///< oneDNN's name of the main primitive's implementation
};

class OnednnImpl final : public KernelImpl {
public:
  OnednnImpl() : engine(dnnl::engine::kind::cpu, 0), stream(engine) {}

  std::string name() const override { return "onednn"; }

  std::string prepare(const KernelProblem &problem, int threadCount) override {
    threads = threadCount;
    omp_set_num_threads(threads);
    c.assign(size_t(problem.outputSize()), 0.0f);
    std::vector<Plan> candidates;
    std::string failures;
    auto tryBuild = [&](const char *what, auto &&build) {
      try {
        candidates.push_back(build());
      } catch (const dnnl::error &e) {
        failures += std::string(failures.empty() ? "" : "; ") + what + ": " + e.what();
      }
    };
    if (problem.kind == KernelProblem::Kind::Spmm) {
      tryBuild("matmul", [&] { return matmul(problem); });
    } else {
      tryBuild("conv-nchw", [&] { return convolution(problem, /*blocked=*/false); });
      tryBuild("conv-blocked", [&] { return convolution(problem, /*blocked=*/true); });
    }
    if (candidates.empty()) return "oneDNN could not create a primitive: " + failures;
    auto isReference = [](const Plan &p) { return p.implementation.rfind("ref", 0) == 0; };
    if (!std::all_of(candidates.begin(), candidates.end(), isReference))
      candidates.erase(std::remove_if(candidates.begin(), candidates.end(), isReference),
                       candidates.end());

    size_t best = 0;
    double bestSeconds = 1e30;
    for (size_t i = 0; i < candidates.size() && candidates.size() > 1; ++i) {
      double seconds = fastestSeconds(3, [&] { execute(candidates[i]); });
      if (seconds < bestSeconds) {
        bestSeconds = seconds;
        best = i;
      }
    }
    plan = std::move(candidates[best]);
    return "";
  }

  void run() override {
    omp_set_num_threads(threads);
    execute(plan);
  }

  const float *output() const override { return c.data(); }
  std::string variant() const override { return plan.description; }

private:
  void execute(Plan &p) {
    for (auto &[primitive, args] : p.steps) primitive.execute(stream, args);
    stream.wait();
  }

  dnnl::memory wrap(const dnnl::memory::desc &desc, const float *data) {
    return dnnl::memory(desc, engine, const_cast<float *>(data));
  }

  /// A copy of \p user in \p layout (once, now), or \p user itself if the layouts agree.
  dnnl::memory reorderedOnce(dnnl::memory user, const dnnl::memory::desc &layout) {
    if (user.get_desc() == layout) return user;
    dnnl::memory packed(layout, engine);
    dnnl::reorder(user, packed).execute(stream, user, packed);
    stream.wait();
    return packed;
  }

  Plan matmul(const KernelProblem &p) {
    dnnl::memory::desc aDesc({p.m, p.k}, F32, Tag::ab), bDesc({p.k, p.n}, F32, Tag::ab),
        cDesc({p.m, p.n}, F32, Tag::ab);
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(aDesc, bDesc, cDesc), engine);
    Plan plan;
    plan.steps.push_back({dnnl::matmul(pd),
                          {{DNNL_ARG_SRC, wrap(aDesc, p.a.data())},
                           {DNNL_ARG_WEIGHTS, wrap(bDesc, p.b.data())},
                           {DNNL_ARG_DST, wrap(cDesc, c.data())}}});
    plan.implementation = pd.impl_info_str();
    plan.description = "matmul " + plan.implementation;
    return plan;
  }

  /// With \p blocked, oneDNN picks the activation layouts and run() reorders into and out of
  /// them; otherwise the primitive reads and writes NCHW directly.
  Plan convolution(const KernelProblem &p, bool blocked) {
    Dims srcDims{1, p.cin, p.h, p.w}, weightDims{p.cout, p.cin, p.kh, p.kw},
        dstDims{1, p.cout, p.outH(), p.outW()};
    dnnl::memory::desc srcUser(srcDims, F32, Tag::nchw), dstUser(dstDims, F32, Tag::nchw),
        weightUser(weightDims, F32, Tag::oihw);
    dnnl::memory::desc srcAsked = blocked ? dnnl::memory::desc(srcDims, F32, Tag::any) : srcUser;
    dnnl::memory::desc dstAsked = blocked ? dnnl::memory::desc(dstDims, F32, Tag::any) : dstUser;
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference,
                                         dnnl::algorithm::convolution_auto, srcAsked,
                                         dnnl::memory::desc(weightDims, F32, Tag::any), dstAsked,
                                         {p.stride, p.stride}, {p.pad, p.pad}, {p.pad, p.pad});
    dnnl::convolution_forward::primitive_desc pd(desc, engine);

    Plan plan;
    dnnl::memory src = wrap(srcUser, p.b.data()), dst = wrap(dstUser, c.data());
    dnnl::memory weights = reorderedOnce(wrap(weightUser, p.a.data()), pd.weights_desc());
    dnnl::memory convSrc = src, convDst = dst;
    if (pd.src_desc() != srcUser) {
      convSrc = dnnl::memory(pd.src_desc(), engine);
      plan.steps.push_back(
          {dnnl::reorder(src, convSrc), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, convSrc}}});
    }
    if (pd.dst_desc() != dstUser) convDst = dnnl::memory(pd.dst_desc(), engine);
    plan.steps.push_back(
        {dnnl::convolution_forward(pd),
         {{DNNL_ARG_SRC, convSrc}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, convDst}}});
    if (convDst.get_desc() != dstUser)
      plan.steps.push_back(
          {dnnl::reorder(convDst, dst), {{DNNL_ARG_FROM, convDst}, {DNNL_ARG_TO, dst}}});
    plan.implementation = pd.impl_info_str();
    plan.description = std::string(blocked ? "conv-blocked" : "conv-nchw") +
                       (plan.steps.size() > 1 ? "+reorders " : " ") + plan.implementation;
    return plan;
  }

  dnnl::engine engine;
  dnnl::stream stream;
  int threads = 1;
  AlignedVector<float> c;
  Plan plan;
};

} // namespace

std::unique_ptr<KernelImpl> createOnednnImpl() { return std::make_unique<OnednnImpl>(); }

} // namespace spcc::kbench
