//! The DNS server: ports on UDP sockets and TCP listeners, requests in
//! `struct evdns_server_request`'s public layout, and replies.
