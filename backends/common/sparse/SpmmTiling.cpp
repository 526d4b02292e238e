//===- SpmmTiling.cpp - The text form of a tiling -------------------------===//
//
// "<schedule>-r<rowTile>-v<vectors>" and then the optional parts in the order of the tables
// below: reports, the tuning cache and tests all read and write this one form.
//
//===----------------------------------------------------------------------===//
#include "backends/common/sparse/SpmmTiling.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <iterator>
#include <utility>

namespace spcc {
namespace {

/// Optional numbers, written "-<prefix><value>" when positive.
struct NumberPart {
  const char *prefix;
  int64_t SpmmTiling::*field;
};
constexpr NumberPart kNumberParts[] = {
    {"nb", &SpmmTiling::nBlock}, {"kb", &SpmmTiling::kBlock}, {"g", &SpmmTiling::rowGroup}};

/// Optional flags, written "-<name>" when set.
struct FlagPart {
  const char *name;
  bool SpmmTiling::*field;
};
constexpr FlagPart kFlagParts[] = {{"pack", &SpmmTiling::packB},
                                   {"perm", &SpmmTiling::permuteRows}};

constexpr std::pair<SpmmTiling::Schedule, const char *> kScheduleNames[] = {
    {SpmmTiling::Schedule::Unrolled, "unrolled"},
    {SpmmTiling::Schedule::Loop, "loop"},
    {SpmmTiling::Schedule::Dense, "dense"},
    {SpmmTiling::Schedule::RowDot, "rowdot"}};

const char *scheduleName(SpmmTiling::Schedule schedule) {
  for (const auto &[value, name] : kScheduleNames)
    if (value == schedule) return name;
  return "?";
}

/// Reads one optional part into \p t; false when it is not one or repeats one.
bool parsePart(llvm::StringRef part, SpmmTiling &t) {
  for (const FlagPart &flag : kFlagParts)
    if (part == flag.name) {
      if (t.*flag.field) return false;
      t.*flag.field = true;
      return true;
    }
  for (const NumberPart &number : kNumberParts)
    if (part.consume_front(number.prefix)) {
      int64_t &value = t.*number.field;
      return value == 0 && !part.getAsInteger(10, value) && value > 0;
    }
  return false;
}

} // namespace

std::string SpmmTiling::describe() const {
  std::string text = scheduleName(schedule);
  text += "-r" + std::to_string(rowTile) + "-v" + std::to_string(vectors);
  for (const NumberPart &number : kNumberParts)
    if (this->*number.field > 0)
      text += "-" + (number.prefix + std::to_string(this->*number.field));
  for (const FlagPart &flag : kFlagParts)
    if (this->*flag.field) text += std::string("-") + flag.name;
  return text;
}

std::optional<SpmmTiling> parseTiling(llvm::StringRef text) {
  llvm::SmallVector<llvm::StringRef> parts;
  text.split(parts, '-');
  if (parts.size() < 3) return std::nullopt;
  SpmmTiling t;
  auto named =
      llvm::find_if(kScheduleNames, [&](const auto &entry) { return parts[0] == entry.second; });
  if (named == std::end(kScheduleNames)) return std::nullopt;
  t.schedule = named->first;
  if (!parts[1].consume_front("r") || parts[1].getAsInteger(10, t.rowTile) || t.rowTile < 1 ||
      !parts[2].consume_front("v") || parts[2].getAsInteger(10, t.vectors) || t.vectors < 1)
    return std::nullopt;
  for (llvm::StringRef part : llvm::ArrayRef<llvm::StringRef>(parts).drop_front(3))
    if (!parsePart(part, t)) return std::nullopt;
  // Reduction blocks are for loops and straight-line tiles.
  if (t.kBlock > 0 && t.schedule != SpmmTiling::Schedule::Loop &&
      t.schedule != SpmmTiling::Schedule::Unrolled)
    return std::nullopt;
  // Packed blocks of B: a loop's reduction blocks, or straight-line tiles' position blocks.
  if (t.packB && t.schedule == SpmmTiling::Schedule::Loop && t.kBlock == 0) return std::nullopt;
  if (t.packB && t.schedule == SpmmTiling::Schedule::Unrolled && (t.kBlock > 0 || t.nBlock == 0))
    return std::nullopt;
  if (t.packB && t.schedule != SpmmTiling::Schedule::Loop &&
      t.schedule != SpmmTiling::Schedule::Unrolled)
    return std::nullopt;
  // Row groups: a loop's, of two rows or more, dividing its row tile.
  if (t.rowGroup > 0 &&
      (t.schedule != SpmmTiling::Schedule::Loop || t.rowGroup < 2 || t.rowTile % t.rowGroup != 0))
    return std::nullopt;
  return t;
}

} // namespace spcc
