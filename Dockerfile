# One image for coordinator and workers. Workers need raw sockets (NET_RAW)
# and Nmap; the compose file grants the capabilities.
FROM node:22-bookworm-slim
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      nmap iproute2 ca-certificates python3 make g++ libpcap-dev \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g pnpm@10.34.8
WORKDIR /osfp
COPY . .
RUN pnpm install --frozen-lockfile
# Two glibc malloc arenas instead of up to 16: a long collect run's native memory (DuckDB, libuv, the
# capture) otherwise fragments across per-thread arenas, and its RSS grows with the run (docs/benchmarks.md).
ENV MALLOC_ARENA_MAX=2
ENTRYPOINT ["node", "--import", "tsx", "packages/cli/src/main.ts"]
