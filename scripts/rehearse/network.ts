/**
 * The addresses of a boot's private network. The container's private
 * interface carries the server's own 10.0.1.x address (the stack's IP
 * plan); the host end of the veth pair, alone in a network namespace of
 * its own, carries the gateway, the load balancer's private address and
 * the address every faked public host name resolves to. Nothing routes
 * further.
 */
import { LOAD_BALANCER_PRIVATE_IP, SUBNET_CIDR } from "../../config/defaults";

export const NETWORK = {
  gateway: "10.0.1.1",
  loadBalancer: LOAD_BALANCER_PRIVATE_IP,
  /** TEST-NET-1: documentation space, never a real host. */
  publicFakes: "192.0.2.10",
  prefixLength: Number(SUBNET_CIDR.split("/")[1]),
  /** Name of the container's private interface, as on Hetzner's x86 servers. */
  containerInterface: "enp7s0",
  hostInterface: "sr-host",
} as const;
