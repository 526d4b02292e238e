#include "tests/frontend/ModelBuilder.h"

namespace spcc::test {

ModelBuilder::ModelBuilder(int opset) {
  model.set_ir_version(8);
  model.set_producer_name("spcc-tests");
  auto *entry = model.add_opset_import();
  entry->set_domain("");
  entry->set_version(opset);
  model.mutable_graph()->set_name("test");
}

ModelBuilder &ModelBuilder::input(const std::string &name, std::vector<int64_t> dims,
                                  int elemType) {
  auto *in = model.mutable_graph()->add_input();
  in->set_name(name);
  auto *tensorType = in->mutable_type()->mutable_tensor_type();
  tensorType->set_elem_type(elemType);
  auto *shape = tensorType->mutable_shape();
  for (int64_t d : dims) {
    auto *dim = shape->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
  return *this;
}

ModelBuilder &ModelBuilder::output(const std::string &name, int elemType) {
  auto *out = model.mutable_graph()->add_output();
  out->set_name(name);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(elemType);
  return *this;
}

ModelBuilder &ModelBuilder::initializer(const std::string &name, std::vector<int64_t> dims,
                                        std::vector<float> values) {
  auto *t = model.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()), values.size() * 4));
  return *this;
}

ModelBuilder &ModelBuilder::initializerInts(const std::string &name, std::vector<int64_t> values) {
  auto *t = model.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(int64_t(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
  return *this;
}

onnx::NodeProto &ModelBuilder::node(const std::string &opType, std::vector<std::string> inputs,
                                    std::vector<std::string> outputs, const std::string &name) {
  auto *n = model.mutable_graph()->add_node();
  n->set_op_type(opType);
  n->set_name(name.empty() ? opType + std::to_string(model.graph().node_size()) : name);
  for (const auto &i : inputs) n->add_input(i);
  for (const auto &o : outputs) n->add_output(o);
  return *n;
}

void setInts(onnx::NodeProto &node, const std::string &name, std::vector<int64_t> values) {
  auto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) attr->add_ints(v);
}

void setInt(onnx::NodeProto &node, const std::string &name, int64_t value) {
  auto *attr = node.add_attribute();
  attr->set_name(name);
  attr->set_type(onnx::AttributeProto::INT);
  attr->set_i(value);
}

} // namespace spcc::test
