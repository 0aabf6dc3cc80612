/**
 * nginx as a reverse proxy to the benchmark's backends, configured as fairly as Berth's listener:
 * keep-alive upstreams, no access log, the same headers to the target.
 */
export function nginxConfig(
  dir: string,
  port: number,
  workers: string,
  backendPorts: readonly number[],
): string {
  return `# Written by bench/lb.ts for one run; the whole directory is removed at the end.
worker_processes ${workers};
daemon off;
master_process on;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream backends {
${backendPorts.map((p) => `    server 127.0.0.1:${p};`).join('\n')}
    keepalive 64;
    keepalive_requests 1000000;
    keepalive_timeout 65s;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    # Node's server (and so Berth's listener) has no cap on requests per connection.
    keepalive_requests 1000000;
    keepalive_timeout 65s;
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # What Berth sends a target too: the client's Host and ELB's X-Forwarded-*.
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`;
}
