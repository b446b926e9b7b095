package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// nullDataSourceModel is the state of a null_data_source.
type nullDataSourceModel struct {
	ID                 types.String `tfsdk:"id"`
	Inputs             types.Map    `tfsdk:"inputs"`
	Outputs            types.Map    `tfsdk:"outputs"`
	Random             types.String `tfsdk:"random"`
	HasComputedDefault types.String `tfsdk:"has_computed_default"`
}

type nullDataSource struct{}

var _ datasource.DataSource = (*nullDataSource)(nil)

func newNullDataSource() datasource.DataSource { return &nullDataSource{} }

func (d *nullDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_data_source"
}

func (d *nullDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description:        "Copies its inputs to its outputs (deprecated upstream in favour of locals).",
		DeprecationMessage: "The null_data_source was historically used to construct intermediate values to re-use elsewhere in configuration, the same can now be achieved using locals or the terraform_data resource type in Terraform 1.4 and later.",
		Attributes: map[string]schema.Attribute{
			"inputs": schema.MapAttribute{
				Description: "A map of arbitrary strings that is copied into the outputs attribute.",
				ElementType: types.StringType,
				Optional:    true,
			},
			"outputs": schema.MapAttribute{
				Description: "After the data source is read, the same as inputs.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"random": schema.StringAttribute{
				Description: "A random value.",
				Computed:    true,
			},
			"has_computed_default": schema.StringAttribute{
				Description: "If set, its literal value is stored and returned; otherwise it is \"default\".",
				Optional:    true,
				Computed:    true,
			},
			"id": schema.StringAttribute{
				Description: "Always \"static\".",
				Computed:    true,
			},
		},
	}
}

func (d *nullDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var model nullDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if model.HasComputedDefault.IsNull() || model.HasComputedDefault.IsUnknown() {
		model.HasComputedDefault = types.StringValue("default")
	}
	if model.Inputs.IsNull() {
		model.Outputs = types.MapNull(types.StringType)
	} else {
		model.Outputs = model.Inputs
	}
	model.Random = types.StringValue(fmt.Sprintf("%d", rand.Int64()))
	model.ID = types.StringValue("static")
	resp.Diagnostics.Append(resp.State.Set(ctx, &model)...)
}
