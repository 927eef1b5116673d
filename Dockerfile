# Moodlens: the app with its models, for a classroom server (see README "A classroom server").
#   docker build -t moodlens .
#   docker run --rm -p 8501:8501 moodlens        # one replica on http://localhost:8501
# compose.yaml runs several replicas behind nginx (HTTPS, sticky sessions) with a TURN server.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # glibc keeps up to 8 malloc arenas per core, one per thread that allocates; Streamlit starts a thread
    # per script run, so freed upload memory would stay scattered over many arenas
    MALLOC_ARENA_MAX=2 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MOODLENS_ICE_SERVERS=""

# ffmpeg: decoding uploaded videos and compressed audio (PyAV and soundfile bring their own libraries)
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin moodlens
WORKDIR /app

# Dependencies first (a layer that changes only with requirements.txt), without the test-only packages.
COPY requirements.txt .
RUN grep -vE '^(pytest|hypothesis|playwright|pyyaml)==' requirements.txt > /tmp/requirements-app.txt \
 && pip install -r /tmp/requirements-app.txt \
 && rm /tmp/requirements-app.txt

# The app and its models (weights/), baked in: nothing is downloaded when a container starts.
COPY --chown=moodlens:moodlens .streamlit/ .streamlit/
COPY --chown=moodlens:moodlens weights/ weights/
COPY --chown=moodlens:moodlens emotion/ emotion/
COPY --chown=moodlens:moodlens ui/ ui/
COPY --chown=moodlens:moodlens app_pages/ app_pages/
COPY --chown=moodlens:moodlens streamlit_app.py moodlens README.md ./

USER moodlens
# Load both models and the face detector once at build time: a broken model fails the build, not a lesson.
RUN python -c "from emotion.face import load_face_model; from emotion.voice import load_voice_model; \
load_face_model(); load_voice_model(); print('models load')"

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["python", "-m", "streamlit", "run", "streamlit_app.py", \
     "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
