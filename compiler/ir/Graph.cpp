#include "compiler/ir/Graph.h"

#include "compiler/support/Error.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <algorithm>

namespace spcc {

Value *Graph::createValue(const std::string &valueName, const TensorType &type) {
  assert(!valuesByName.count(valueName) && "duplicate value name");
  values.push_back(std::make_unique<Value>(valueName, type));
  Value *v = values.back().get();
  valuesByName[valueName] = v;
  return v;
}

Value *Graph::addInput(const std::string &inputName, const TensorType &type) {
  Value *v = createValue(inputName, type);
  inputs.push_back(v);
  return v;
}

Value *Graph::addConstant(const std::string &constantName, Tensor data) {
  Value *v = createValue(constantName, data.getType());
  v->setConstant(std::move(data));
  return v;
}

Node *Graph::addNode(const std::string &nodeName, const std::string &opType, const OpSchema *schema,
                     llvm::ArrayRef<Value *> nodeInputs, llvm::ArrayRef<std::string> outputNames) {
  nodes.push_back(std::make_unique<Node>(nodeName, opType, schema));
  Node *node = nodes.back().get();
  node->inputs.assign(nodeInputs.begin(), nodeInputs.end());
  for (const std::string &outputName : outputNames) {
    Value *v = createValue(outputName, TensorType());
    v->producer = node;
    node->outputs.push_back(v);
  }
  return node;
}

std::vector<Node *> Graph::getNodes() const {
  std::vector<Node *> out;
  out.reserve(nodes.size());
  for (const auto &n : nodes) out.push_back(n.get());
  return out;
}

std::vector<Value *> Graph::getValues() const {
  std::vector<Value *> out;
  out.reserve(values.size());
  for (const auto &v : values) out.push_back(v.get());
  return out;
}

std::vector<Node *> Graph::getUsers(const Value *v) const {
  std::vector<Node *> out;
  for (const auto &n : nodes)
    if (llvm::is_contained(n->inputs, v)) out.push_back(n.get());
  return out;
}

bool Graph::isGraphOutput(const Value *v) const {
  return llvm::any_of(outputs, [&](const GraphOutput &o) { return o.value == v; });
}

void Graph::replaceAllUsesWith(Value *from, Value *to) {
  for (auto &n : nodes)
    for (Value *&in : n->inputs)
      if (in == from) in = to;
  for (GraphOutput &o : outputs)
    if (o.value == from) o.value = to;
}

void Graph::eraseNode(Node *node) {
  if (node->erased) return;
  for (Value *out : node->outputs)
    if (out->producer == node) out->producer = nullptr;
  auto it = std::find_if(nodes.begin(), nodes.end(), [&](auto &n) { return n.get() == node; });
  assert(it != nodes.end() && "erasing a node of another graph");
  node->erased = true;
  erasedNodes.push_back(std::move(*it));
  nodes.erase(it);
}

void Graph::foldToConstant(Value *v, Tensor data) {
  Node *producer = v->producer;
  assert(producer && "folding a value that has no producer");
  v->producer = nullptr;
  v->setConstant(std::move(data));
  if (llvm::none_of(producer->outputs, [&](Value *o) { return o->producer == producer; }))
    eraseNode(producer);
}

void Graph::removeUnusedValues() {
  llvm::DenseSet<const Value *> live(inputs.begin(), inputs.end());
  for (const GraphOutput &o : outputs) live.insert(o.value);
  for (const auto &n : nodes) {
    live.insert(n->inputs.begin(), n->inputs.end());
    live.insert(n->outputs.begin(), n->outputs.end());
  }
  llvm::erase_if(values, [&](const std::unique_ptr<Value> &v) {
    if (live.count(v.get())) return false;
    valuesByName.erase(v->getName());
    return true;
  });
}

llvm::Error Graph::sortTopologically() {
  // Kahn's algorithm, stable: among ready nodes the earlier one in the current order goes first.
  llvm::DenseMap<const Node *, size_t> position, pending;
  for (size_t i = 0; i < nodes.size(); ++i) position[nodes[i].get()] = i;
  llvm::DenseMap<const Value *, std::vector<Node *>> readers;
  for (const auto &n : nodes) {
    size_t count = 0;
    for (Value *in : n->inputs)
      if (in && in->producer) {
        readers[in].push_back(n.get());
        ++count;
      }
    pending[n.get()] = count;
  }
  auto later = [&](Node *a, Node *b) { return position[a] > position[b]; };
  std::vector<Node *> ready;
  for (const auto &n : nodes)
    if (pending[n.get()] == 0) ready.push_back(n.get());
  std::make_heap(ready.begin(), ready.end(), later);
  std::vector<Node *> order;
  while (!ready.empty()) {
    std::pop_heap(ready.begin(), ready.end(), later);
    Node *n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (Value *out : n->outputs)
      for (Node *reader : readers.lookup(out))
        if (--pending[reader] == 0) {
          ready.push_back(reader);
          std::push_heap(ready.begin(), ready.end(), later);
        }
  }
  if (order.size() != nodes.size()) {
    for (const auto &n : nodes)
      if (pending[n.get()] != 0)
        return makeError(ErrorCode::BadModel,
                         n->describe() + ": the graph has a cycle through this node");
  }
  std::vector<std::unique_ptr<Node>> sorted;
  sorted.reserve(nodes.size());
  for (Node *n : order) {
    auto &slot = nodes[position[n]];
    sorted.push_back(std::move(slot));
  }
  nodes = std::move(sorted);
  return llvm::Error::success();
}

std::string Graph::makeUniqueName(llvm::StringRef base) const {
  if (!valuesByName.count(base)) return base.str();
  for (int i = 1;; ++i) {
    std::string candidate = (base + "_" + llvm::Twine(i)).str();
    if (!valuesByName.count(candidate)) return candidate;
  }
}

} // namespace spcc
