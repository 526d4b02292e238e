#include "compiler/ir/Node.h"

namespace spcc {

void Value::setConstant(Tensor data) {
  assert(!producer && "detach the value from its producer first");
  type = data.getType();
  constant = std::move(data);
}

template <typename T>
static const T *find(const std::map<std::string, Attribute> &attrs, const std::string &key) {
  auto it = attrs.find(key);
  return it == attrs.end() ? nullptr : std::get_if<T>(&it->second);
}

int64_t Node::getInt(const std::string &key, int64_t dflt) const {
  const int64_t *v = find<int64_t>(attributes, key);
  return v ? *v : dflt;
}

float Node::getFloat(const std::string &key, float dflt) const {
  if (const float *v = find<float>(attributes, key)) return *v;
  return dflt;
}

std::string Node::getString(const std::string &key, const std::string &dflt) const {
  const std::string *v = find<std::string>(attributes, key);
  return v ? *v : dflt;
}

std::vector<int64_t> Node::getInts(const std::string &key, std::vector<int64_t> dflt) const {
  const auto *v = find<std::vector<int64_t>>(attributes, key);
  return v ? *v : dflt;
}

std::vector<float> Node::getFloats(const std::string &key, std::vector<float> dflt) const {
  const auto *v = find<std::vector<float>>(attributes, key);
  return v ? *v : dflt;
}

const Tensor *Node::getTensor(const std::string &key) const {
  return find<Tensor>(attributes, key);
}

std::string Node::describe() const { return "node '" + name + "' (" + opType + ")"; }

} // namespace spcc
