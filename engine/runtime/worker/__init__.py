"""The app's worker process: ``supervisor`` starts a run in its own process and relays its
events to the app, ``instances`` runs several of them as one application, ``memory`` caps a
worker's memory and names an out-of-memory end; ``protocol`` names what the worker and the
app say to each other (``WorkerEvent``, ``AppRequest``).

The top of the runtime: may use every other part of it."""
