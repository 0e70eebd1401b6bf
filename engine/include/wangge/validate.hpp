// wangge/validate.hpp — is a set of polygons a valid coverage of its parent?
//
// For a parent (a county, township or village) and its children (townships,
// villages or grids), or for a layer of neighbours without a parent (the county
// outlines of a province), find where the children fail to cover the parent
// exactly once: gaps (parts of the parent in no child, narrow ones included),
// overlaps (parts in two children), parts of a child outside the parent, edges that
// almost but not exactly meet (vertices within a tolerance but not identical),
// children in several parts or with holes, slivers (pieces below an area or width
// tolerance) and invalid geometries. Without a parent a gap is a hole enclosed by
// the union of the children (a gap between neighbours), never the outside world.
//
// Each finding names the codes involved, carries a location (a polygon, line or
// point in lon/lat, EPSG:4490), its size in metres and a severity. GEOS 3.11 has no
// coverage validator; this one stands on topology::check_coverage (which proves
// most of a layer clean to the last bit) and only overlays what it could not prove:
// the edges that two polygons do not share (see engine/src/topology/validate.cpp).
//
// The rules, where there was a choice:
// - Severity follows the kind: gap, overlap, outside and invalid are errors;
//   near_miss, multipart, hole and sliver warnings.
// - A narrow gap is a gap (an error, with its width_m and "narrow" in detail), and
//   an overlap is an overlap however thin: a sliver gap or overlap is not demoted
//   to a warning. Kind sliver is kept for pieces of children: a part of a child
//   below sliver_area_m2 or narrower than sliver_width_m.
// - Width: the diameter of the largest circle inside the piece (a strip of 0.4 m
//   is 0.4 m wide); for an overlap or outside in several pieces, the widest one.
// - Gaps: one finding per piece; codes: the children within 1e-7° of it, and the
//   parent. Overlaps: one finding per pair of children (all their shared pieces;
//   three children over one place give three pairs). Outside: one per child,
//   codes: the child and the parent.
// - Near misses: one finding per pair of children; a vertex of one within
//   near_miss_m of the other's vertex or edge but more than 1 mm from all of it
//   (closer is "on it": noders round shared points by far less). Location: the
//   neighbour edges concerned (MultiLineString), length_m their length, width_m
//   the smallest distance.
// - An invalid child (or parent) is reported with GEOS's reason and location
//   (a point), then repaired by MakeValid's "structure" method (the shells' union
//   less the holes'; it keeps both triangles of a bowtie and drops loops a
//   twisted ring winds backwards) and checked as repaired; multipart and hole are
//   not reported for a repaired child (its parts are the repair's).
// - A hole of a child is a finding only for the part no other child fills (an
//   enclave fills it); that part is also a gap, reported as such.
// - Pieces below ignore_area_m2 are dropped: findings are per piece above it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wangge::validate {

enum class Kind {
    gap,        ///< part of the parent (or a hole between neighbours) in no child
    overlap,    ///< part of two children; codes: the pair
    outside,    ///< part of a child outside its parent
    near_miss,  ///< two edges that almost meet: vertices within near_miss_m, not identical
    multipart,  ///< a child in more than one part
    hole,       ///< a child with a hole (that no other child fills)
    sliver,     ///< a gap, overlap or child piece below the sliver area or width
    invalid,    ///< a geometry GEOS calls invalid (the reason in `detail`)
};
/// "gap", "overlap", "outside", "near_miss", "multipart", "hole", "sliver", "invalid".
std::string_view to_string(Kind kind);
/// The inverse of to_string; nullopt for an unknown word.
std::optional<Kind> kind_from_string(std::string_view word);

enum class Severity { error, warning };
std::string_view to_string(Severity severity);

struct Finding {
    Kind kind = Kind::gap;
    Severity severity = Severity::error;
    std::vector<std::string> codes;    ///< the children involved (and the parent for gaps and outside), ascending
    std::vector<unsigned char> where;  ///< location: ISO WKB, lon/lat (EPSG:4490)
    double area_m2 = 0;                ///< of the location, for polygonal findings
    double length_m = 0;               ///< for linear ones (a near miss: the edge length)
    double width_m = 0;                ///< width of gaps, overlaps, outside and slivers; a near miss's smallest distance
    std::string detail;                ///< one line in words ("vertex 0.3 m from the neighbour's edge")
};

struct Tolerances {
    /// A part of a child narrower than this or smaller than sliver_area_m2 is a
    /// sliver; a gap or overlap below them keeps its kind, called narrow.
    double sliver_width_m = 1.0;
    double sliver_area_m2 = 10.0;
    /// Vertices of two children closer than this but not identical: a near miss.
    double near_miss_m = 0.5;
    /// Findings smaller than this are dropped as rounding (noded overlays of real
    /// data leave pieces of a few cm²).
    double ignore_area_m2 = 0.01;
};

struct Item {
    std::string code;
    std::vector<unsigned char> wkb;  ///< Polygon or MultiPolygon, lon/lat
};

struct Result {
    std::vector<Finding> findings;  ///< ordered by kind, then codes
    double parent_area_m2 = 0;      ///< 0 without a parent
    double children_area_m2 = 0;    ///< sum of the children's areas
    double covered_m2 = 0;          ///< area of the parent inside some child (union ∩ parent); without a parent, of the union
};

/// Validate `children` against `parent` (or as a layer of neighbours when there is
/// none). Invalid children are reported and then repaired (MakeValid) for the other
/// checks, so one bad polygon does not hide its neighbours' findings.
Result validate_coverage(const std::optional<Item>& parent, const std::vector<Item>& children,
                         const Tolerances& tolerances = {});

} // namespace wangge::validate
