//===- ModelBuilder.h - Small ONNX models built in tests -----------------===//
#ifndef SPCC_TESTS_MODELBUILDER_H
#define SPCC_TESTS_MODELBUILDER_H

#include <onnx/onnx_pb.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace spcc::test {

/// Builds an ONNX ModelProto through the protobuf API, for importer tests.
class ModelBuilder {
public:
  explicit ModelBuilder(int opset = 13);

  /// A graph input; a negative dim becomes the symbolic dim "N".
  ModelBuilder &input(const std::string &name, std::vector<int64_t> dims,
                      int elemType = onnx::TensorProto::FLOAT);
  ModelBuilder &output(const std::string &name, int elemType = onnx::TensorProto::FLOAT);
  /// A float initializer with the given values (raw_data).
  ModelBuilder &initializer(const std::string &name, std::vector<int64_t> dims,
                            std::vector<float> values);
  ModelBuilder &initializerInts(const std::string &name, std::vector<int64_t> values);
  onnx::NodeProto &node(const std::string &opType, std::vector<std::string> inputs,
                        std::vector<std::string> outputs, const std::string &name = "");

  onnx::ModelProto &proto() { return model; }
  std::string bytes() const { return model.SerializeAsString(); }

private:
  onnx::ModelProto model;
};

void setInts(onnx::NodeProto &node, const std::string &name, std::vector<int64_t> values);
void setInt(onnx::NodeProto &node, const std::string &name, int64_t value);

} // namespace spcc::test

#endif
