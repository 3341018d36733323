# Ritorno: one static binary with its migrations and assets embedded (go:embed).
# Production sets RITORNO_DATABASE_URL and RITORNO_ENCRYPTION_KEY; without a database URL the
# embedded SQLite file is written to /data, which should then be a mounted volume.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/ritorno ./cmd/ritorno \
    && mkdir -p /out/data

# distroless/static: CA certificates and tzdata-free minimal base, no shell, runs as nonroot.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ritorno /ritorno
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
# The demo shop (/demo/store) is public wherever it runs: a container is a deployment, so it
# is off here even on the embedded database; `docker run -e RITORNO_DEMO=true` turns it on.
ENV RITORNO_ADDR=:8080 \
    RITORNO_DATA_DIR=/data \
    RITORNO_DEMO=false
EXPOSE 8080
# No shell or curl in the image: the binary probes its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 CMD ["/ritorno", "healthcheck"]
ENTRYPOINT ["/ritorno"]
CMD ["serve"]
