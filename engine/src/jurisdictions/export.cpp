// Export of store layers to any GDAL vector format.
#include <fmt/format.h>

#include "io/vector_writer.hpp"
#include "store/jurisdictions_repo.hpp"
#include "wangge/error.hpp"
#include "wangge/jurisdictions.hpp"
#include "wangge/store.hpp"

namespace wangge {

std::int64_t export_layer(Store& store, const ExportOptions& opt) {
    std::string level_filter;
    if (opt.layer == "counties")
        level_filter = "county";
    else if (opt.layer == "townships")
        level_filter = "township";
    else if (opt.layer == "villages")
        level_filter = "village";
    else if (opt.layer != "jurisdictions")
        throw usage_error(
            fmt::format("unknown layer '{}': expected jurisdictions, counties, townships or villages", opt.layer));
    if (!opt.prefix.empty() && opt.prefix.find_first_not_of("0123456789") != std::string::npos)
        throw usage_error(fmt::format("--prefix '{}' is not a code prefix (digits only)", opt.prefix));

    using T = VectorField::Type;
    VectorWriter out({opt.out,
                      opt.format,
                      opt.overwrite,
                      {{"code", T::string, 12},
                       {"name", T::string, 80},
                       {"level", T::string, 10},
                       {"parent", T::string, 12},
                       {"src_file", T::string, 254},
                       {"imported", T::string, 20}},
                      "feature"});
    repo::JurisdictionFilter filter;
    filter.level = level_filter;
    filter.prefix = opt.prefix;
    std::vector<VectorValue> values(6);
    repo::for_each_jurisdiction(store, filter, [&](const repo::JurisdictionRow& r) {
        values = {r.code, r.name, r.level, VectorValue(), r.source_file, r.imported_at};
        if (r.parent_code) values[3] = *r.parent_code;
        out.write(values, r.wkb);
    });
    return out.finish();
}

}  // namespace wangge
