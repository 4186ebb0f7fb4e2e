#include "render/render.hpp"

#include <gvc.h>

#include <memory>

namespace vcpuspec::gv {

bool render_dot(const std::string& dot, const std::string& format, std::string& out, std::string& error) {
  // One Graphviz context per call: libgvc keeps global state in it.
  std::unique_ptr<GVC_t, int (*)(GVC_t*)> gvc(gvContext(), gvFreeContext);
  if (!gvc) {
    error = "Graphviz: cannot create a context";
    return false;
  }
  std::unique_ptr<Agraph_t, int (*)(Agraph_t*)> g(agmemread(dot.c_str()), agclose);
  if (!g) {
    error = "Graphviz: cannot read the generated DOT";
    return false;
  }
  if (gvLayout(gvc.get(), g.get(), "dot") != 0) {
    error = "Graphviz: layout failed";
    return false;
  }
  char* data = nullptr;
  unsigned int len = 0;
  int rc = gvRenderData(gvc.get(), g.get(), format.c_str(), &data, &len);
  if (rc == 0 && data) out.assign(data, len);
  if (data) gvFreeRenderData(data);
  gvFreeLayout(gvc.get(), g.get());
  if (rc != 0) {
    error = "Graphviz: cannot render " + format;
    return false;
  }
  return true;
}

}  // namespace vcpuspec::gv
