#include "compiler/support/NpyFile.h"

#include "compiler/support/Error.h"
#include "compiler/support/Files.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

namespace spcc {
namespace {

struct NpyDescr {
  const char *descr;
  DType dtype;
};
// '|' marks byte-sized types, where byte order does not apply.
const NpyDescr kDescrs[] = {{"<f4", DType::Float32}, {"<f2", DType::Float16}, {"<i8", DType::Int64},
                            {"<i4", DType::Int32},   {"|i1", DType::Int8},    {"|u1", DType::UInt8},
                            {"|b1", DType::Bool}};

/// The value text of 'key' in the header dict, e.g. "'<f4'" or "(1, 3)".
llvm::StringRef dictValue(llvm::StringRef header, llvm::StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == llvm::StringRef::npos) return {};
  llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim(" :");
  if (rest.starts_with("(")) return rest.take_until([](char c) { return c == ')'; }).drop_front();
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

} // namespace

llvm::Expected<Tensor> parseNpy(llvm::ArrayRef<uint8_t> bytes, llvm::StringRef label) {
  auto bad = [&](const llvm::Twine &why) {
    return makeError(ErrorCode::InvalidArgument, label + ": not a supported .npy file: " + why);
  };
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return bad("missing the NUMPY magic");
  int major = bytes[6];
  size_t headerLength, headerStart;
  if (major == 1) {
    headerLength = bytes[8] | (size_t(bytes[9]) << 8);
    headerStart = 10;
  } else if ((major == 2 || major == 3) && bytes.size() >= 12) {
    headerLength =
        bytes[8] | (size_t(bytes[9]) << 8) | (size_t(bytes[10]) << 16) | (size_t(bytes[11]) << 24);
    headerStart = 12;
  } else {
    return bad("unknown format version");
  }
  if (headerStart + headerLength > bytes.size()) return bad("truncated header");
  llvm::StringRef header(reinterpret_cast<const char *>(bytes.data() + headerStart), headerLength);

  llvm::StringRef descr = dictValue(header, "descr").trim("'\"");
  std::optional<DType> dtype;
  for (const NpyDescr &d : kDescrs)
    if (descr == d.descr || (descr.size() == 3 && descr[0] == '=' &&
                             descr.drop_front() == llvm::StringRef(d.descr).drop_front()))
      dtype = d.dtype;
  if (!dtype) return bad("element type '" + descr + "'");
  if (dictValue(header, "fortran_order") != "False") return bad("Fortran order");

  llvm::SmallVector<int64_t, 4> dims;
  llvm::SmallVector<llvm::StringRef, 4> parts;
  dictValue(header, "shape").split(parts, ',');
  for (llvm::StringRef part : parts) {
    part = part.trim();
    if (part.empty()) continue;
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0) return bad("shape entry '" + part + "'");
    dims.push_back(d);
  }
  TensorType type(*dtype, dims);
  size_t dataStart = headerStart + headerLength;
  if (uint64_t(type.getSizeInBytes()) != bytes.size() - dataStart)
    return bad(llvm::Twine(bytes.size() - dataStart) + " data bytes for " + type.str());
  return Tensor(type, bytes.drop_front(dataStart));
}

llvm::Expected<Tensor> readNpyFile(llvm::StringRef path) {
  auto buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(ErrorCode::IO, path + ": cannot read: " + buffer.getError().message());
  llvm::ArrayRef<uint8_t> bytes(reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
                                (*buffer)->getBufferSize());
  return parseNpy(bytes, path);
}

llvm::Error writeNpyFile(llvm::StringRef path, const Tensor &tensor) {
  const char *descr = nullptr;
  for (const NpyDescr &d : kDescrs)
    if (d.dtype == tensor.getDType()) descr = d.descr;
  std::string shape = "(";
  for (int64_t d : tensor.getDims()) shape += std::to_string(d) + ", ";
  if (tensor.getRank() > 1)
    shape.resize(shape.size() - 2);
  else if (tensor.getRank() == 1)
    shape.resize(shape.size() - 1);
  shape += ")";
  std::string header =
      std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts at a multiple of 64 bytes; the header ends with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) return makeError(ErrorCode::IO, path + ": cannot write: " + ec.message());
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff) << char(header.size() >> 8)
     << header;
  llvm::ArrayRef<uint8_t> bytes = tensor.getBytes();
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return finishWriting(os, path);
}

std::string tensorFileStem(llvm::StringRef name) {
  std::string stem = name.str();
  for (char &c : stem)
    if (!llvm::isAlnum(c) && c != '_' && c != '.' && c != '-') c = '_';
  return stem;
}

} // namespace spcc
