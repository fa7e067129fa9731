// The one translation unit that compiles Asio, Asio's SSL support and Beast
// (their separate compilation mode, see CMakeLists.txt). Everything else
// includes their declarations only, which keeps rebuilds fast.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
