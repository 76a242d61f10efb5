"""Bridges to other frameworks; each lives in its own module (ragkit.integrations.langchain).
Leaves out importing them here, so `import ragkit` never pulls in a framework."""
