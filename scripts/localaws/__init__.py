"""The local AWS: moto's server, botocore and `chalice local` patched to be safe and fast enough for a sale.

Each module patches one upstream area and records the upstream code it was reviewed against (`UPSTREAM`);
README.md lists every patch, what it changes, why, and how to upgrade the pinned versions below.
`patches.apply()` installs what the moto server process needs; the Lambda, chalice and botocore hooks take
the stack's own callbacks and are installed by the processes that use them. Nothing is imported here, so
the gateway and the local Lambda service import only the hooks they use, not moto.
"""

# The versions the patches were reviewed against (requirements.txt, requirements-dev.txt).
PINNED = {"moto": "5.2.5", "boto3": "1.44.5", "botocore": "1.44.5", "chalice": "1.34.0"}
