"""The Temporal executor: the API starts one workflow a run; `mantis worker` processes run them."""
