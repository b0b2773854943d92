# The gate's image: the suite and its dependencies on a slim Python, run as a non-root user.
# Not built on the development machines (no container runtime there); tests/test_deploy.py checks that
# deploy/gate.yaml's command and paths match this file.
FROM python:3.11-slim

RUN useradd --uid 10001 --user-group --create-home --shell /usr/sbin/nologin readiness
WORKDIR /app

COPY pyproject.toml ./
RUN pip install --no-cache-dir .

COPY conftest.py ./
COPY readiness/ readiness/
COPY fixtures/ fixtures/
COPY suites/ suites/
COPY reporting/ reporting/
COPY plugin/ plugin/
COPY chaos/ chaos/
COPY profiles/ profiles/
COPY docs/ docs/

USER 10001:10001
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
ENTRYPOINT ["pytest"]
CMD ["suites", "--gate"]
