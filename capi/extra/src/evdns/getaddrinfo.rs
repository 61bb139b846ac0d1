//! `evdns_getaddrinfo`: numeric hosts, the hosts table and DNS lookups combined into
//! `struct evutil_addrinfo` answers, and the core's hook for
//! `bufferevent_socket_connect_hostname`.
