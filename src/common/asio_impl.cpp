// The single translation unit that compiles Asio, its SSL support and Beast. Every other file only
// declares them (BOOST_*_SEPARATE_COMPILATION), which keeps rebuilds on two cores short.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
